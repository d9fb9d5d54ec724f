import CLibArchive

/// A libarchive failure while reading an archive, naming the archive.
public struct ArchiveError: Error, CustomStringConvertible {
    /// The archive file (or a description of the stream).
    public var archive: String
    /// libarchive's message.
    public var message: String
    public var description: String { "\(archive): \(message)" }

    public init(archive: String, message: String) {
        self.archive = archive
        self.message = message
    }

    init(archive: String, handle: OpaquePointer) {
        let text = archive_error_string(handle).map { String(cString: $0) } ?? "unknown libarchive error"
        self.init(archive: archive, message: text)
    }
}
