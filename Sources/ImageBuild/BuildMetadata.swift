import Foundation
import ToolSupport

/// `meta.json` beside the platform artifacts, in coreos-assembler's shape: what was built
/// from which commit, and under `images` each platform's artifact (its path relative to the
/// directory, sha256 and size; after compression also the uncompressed file's).
public struct BuildMetadata: Codable, Sendable, Equatable {
    public struct Artifact: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var size: UInt64
        public var uncompressedSHA256: String?
        public var uncompressedSize: UInt64?

        enum CodingKeys: String, CodingKey {
            case path, sha256, size
            case uncompressedSHA256 = "uncompressed-sha256"
            case uncompressedSize = "uncompressed-size"
        }
    }

    public var name: String
    public var ref: String
    public var commit: String
    /// The disk's virtual size in bytes.
    public var diskSize: UInt64
    public var images: [String: Artifact]

    enum CodingKeys: String, CodingKey {
        case name, ref, images
        case commit = "ostree-commit"
        case diskSize = "disk-size"
    }

    public static let fileName = "meta.json"

    public func encoded() throws -> Data {
        try JSONOutput.encode(self) + Data("\n".utf8)
    }

    /// Moves `written` (artifacts staged in `staged`) into `directory`, then this meta.json
    /// over the old one: a reader finds the old meta.json or this one, each naming whole files.
    func install(_ written: [Artifact], from staged: String, into directory: String) throws {
        let metaPath = staged + "/" + Self.fileName
        try encoded().write(to: URL(fileURLWithPath: metaPath))
        for artifact in written.sorted(by: { $0.path < $1.path }) {
            try SystemCallError.check("rename", directory + "/" + artifact.path) {
                rename(staged + "/" + artifact.path, directory + "/" + artifact.path)
            }
        }
        try SystemCallError.check("rename", directory + "/" + Self.fileName) {
            rename(metaPath, directory + "/" + Self.fileName)
        }
    }

    /// The `meta.json` in `directory`.
    public static func read(directory: String) throws -> BuildMetadata {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else { throw ImageError("\(path): cannot be read") }
        do {
            return try JSONDecoder().decode(BuildMetadata.self, from: data)
        } catch {
            throw ImageError("\(path): not a harness meta.json (\(error))")
        }
    }
}
