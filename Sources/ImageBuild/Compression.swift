/// `--compress`: what the artifacts are compressed with afterwards, as `cosa compress` does.
public enum Compression: String, Sendable, CaseIterable {
    case xz, zstd, gzip

    var fileExtension: String {
        switch self {
        case .xz: "xz"
        case .zstd: "zst"
        case .gzip: "gz"
        }
    }

    /// The command compressing a file into `FILE.EXT` and removing it, with every core.
    func command(_ file: String) -> [String] {
        switch self {
        case .xz: ["xz", "-T0", "-q", file]
        case .zstd: ["zstd", "-T0", "-q", "--rm", file]
        case .gzip: ["gzip", "-q", file]
        }
    }
}
