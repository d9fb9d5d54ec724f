import CLibRPM
import Foundation
import ToolSupport

/// An `.rpm` file opened by librpm: its header checked against its digests, and where its
/// payload starts.
public struct RPMPackageFile {
    public let path: String
    public let header: RPMHeader
    /// Byte offset of the (compressed) cpio payload.
    public let payloadOffset: Int64

    /// Reads and checks the package's headers. Signatures are not required (a key the
    /// machine lacks is not an error here); header digests are.
    public init(path: String) throws {
        (header, payloadOffset) = try RPMLibrary.withLibrary { try Self.read(path) }
        self.path = path
    }

    private static func read(_ path: String) throws -> (RPMHeader, Int64) {
        guard let fd = Fopen(path, "r.ufdio"), Ferror(fd) == 0 else {
            throw SystemCallError("open", path: path)
        }
        defer { Fclose(fd) }
        let ts = rpmtsCreate()
        defer { rpmtsFree(ts) }
        let noSignatures = RPMVSF_NODSAHEADER.rawValue | RPMVSF_NORSAHEADER.rawValue
            | RPMVSF_NODSA.rawValue | RPMVSF_NORSA.rawValue
        rpmtsSetVSFlags(ts, rpmVSFlags(noSignatures))
        var header: Header? = nil
        let rc = rpmReadPackageFile(ts, fd, path, &header)
        switch rc {
        case RPMRC_OK, RPMRC_NOKEY, RPMRC_NOTTRUSTED:
            break
        case RPMRC_NOTFOUND:
            throw RPMError(path, "not an RPM package")
        default:
            throw RPMError(path, "damaged RPM package: its header does not match its digests")
        }
        guard let header else { throw RPMError(path, "not an RPM package") }
        return (RPMHeader(adopting: header), Int64(Ftell(fd)))
    }

    /// Checks the payload against the digest in the header; throws when they differ.
    ///
    /// Packages built before payload digests existed (rpm < 4.14) have none: for them the
    /// checksum in the repository metadata is the only check.
    public func verifyPayload() throws {
        guard let (expected, algorithm) = header.payloadDigest else { return }
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? file.close() }
        try file.seek(toOffset: UInt64(payloadOffset))
        guard let digest = RPMDigest(algorithm: algorithm) else {
            throw RPMError(path, "unsupported payload digest algorithm \(algorithm)")
        }
        while let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { digest.update($0) }
        }
        let actual = digest.finish()
        guard actual == expected else {
            throw RPMError(path, "damaged RPM package: payload digest \(actual) does not match \(expected) in its header")
        }
    }
}
