/// What `harness compose tree` produced, as written by `--write-composejson-to`.
public struct ComposeResult: Codable, Sendable {
    public var ref: String
    /// The commit the ref points at after the compose (the previous one when nothing changed).
    public var commit: String
    public var version: String?
    public var inputhash: String
    /// NEVRAs of the packages in the tree, sorted.
    public var packages: [String]
    /// False when the inputs were unchanged and no commit was written.
    public var changed: Bool
    /// NEVRAs that were downloaded and imported into the package cache by this compose (the
    /// others came from the cache). Not part of the compose JSON.
    public var imported: [String] = []

    enum CodingKeys: String, CodingKey {
        case ref, commit, version, inputhash, packages, changed
    }
}
