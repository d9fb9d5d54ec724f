import Archive
import OSTree
import RPM
import ToolSupport

/// How one path of a payload is to be stored, decided by the importer's caller.
public struct EntryMetadata {
    public var attributes: FileAttributes
    public var xattrs: ExtendedAttributes
    /// For a package's regular file: the size and digest its header records, which the
    /// content must match (as rpm checks them when it installs).
    public var expected: ExpectedContent?

    public init(attributes: FileAttributes, xattrs: ExtendedAttributes = [], expected: ExpectedContent? = nil) {
        self.attributes = attributes
        self.xattrs = xattrs
        self.expected = expected
    }
}

/// What a header says a regular file holds.
public struct ExpectedContent {
    public var size: UInt64
    public var digest: FileDigest?
}

/// A payload path the importer refuses: absolute, escaping with `..`, or unknown to the header.
public struct HostilePayloadError: Error, CustomStringConvertible {
    public var archive: String
    public var entry: String
    public var reason: String
    public var description: String { "\(archive): refusing payload entry '\(entry)': \(reason)" }
}

/// Streams an archive (an RPM's cpio payload or a rootfs tarball) into OSTree objects and an
/// in-memory tree, without touching the disk.
///
/// Paths are checked before anything is stored. Hard links are rebuilt whichever way the
/// archive carries them: tar puts the data on the first link, cpio (newc) on the last.
struct PayloadImporter {
    let transaction: Transaction
    let archiveName: String
    /// Decides the stored metadata of each normalized absolute path (`/usr/bin/sh`); nil
    /// refuses the entry as not belonging to the payload.
    let metadata: (String, ArchiveEntry) -> EntryMetadata?

    /// What an import produced besides the tree.
    struct Summary {
        var files = 0
        var bytes: Int64 = 0
        var skippedSpecialFiles: [String] = []
        /// Regular files whose content was checked against an `expected` size and digest.
        var checkedFiles: Set<String> = []
    }

    /// Imports every entry of `reader` into `tree`.
    func importEntries(from reader: some PayloadSource, into tree: MutableTree) throws -> Summary {
        var summary = Summary()
        let defaultDirectory = try transaction.writeDirectoryMetadata(FileAttributes(mode: FileMode.directory | 0o755))
        if tree.isEmptyOfMetadata { tree.setMetadata(defaultDirectory) }
        var linkGroups: [String: [String]] = [:]      // first path of a hard-link set -> all its paths
        var groupChecksum: [String: String] = [:]

        func place(_ path: String, checksum: String) throws {
            let components = path.split(separator: "/").map(String.init)
            let parent = try tree.directory(at: components.dropLast(), metadata: defaultDirectory)
            try parent.replaceFile(components.last!, checksum: checksum)
        }

        while let entry = try reader.nextEntry() {
            let path = try normalize(entry.path)
            guard path != "/" else {
                if let meta = metadata("/", entry) {
                    tree.setMetadata(try transaction.writeDirectoryMetadata(meta.attributes, xattrs: meta.xattrs))
                }
                continue
            }
            guard let meta = metadata(path, entry) else {
                throw HostilePayloadError(archive: archiveName, entry: entry.path, reason: "not in the package's file list")
            }
            switch FileMode.type(entry.mode) {
            case FileMode.directory:
                let components = path.split(separator: "/").map(String.init)
                let directory = try tree.directory(at: components, metadata: defaultDirectory)
                directory.setMetadata(try transaction.writeDirectoryMetadata(meta.attributes, xattrs: meta.xattrs))
            case FileMode.symlink:
                let checksum = try transaction.writeSymlink(target: entry.symlinkTarget ?? "",
                                                            uid: meta.attributes.uid, gid: meta.attributes.gid,
                                                            xattrs: meta.xattrs)
                try place(path, checksum: checksum)
            case FileMode.regular:
                var attributes = meta.attributes
                attributes.mode = FileMode.regular | (attributes.mode & FileMode.permissionMask)
                let linkTarget = try entry.hardlinkTarget.map(normalize)
                let first = linkTarget ?? path
                linkGroups[first, default: [first]].append(contentsOf: linkTarget == nil ? [] : [path])
                if linkTarget != nil, entry.size == 0, let known = groupChecksum[first] {
                    try place(path, checksum: known)
                    if summary.checkedFiles.contains(first) { summary.checkedFiles.insert(path) }
                    continue
                }
                let size = UInt64(max(entry.size, 0))
                // A zero-length entry of a hard-link set whose data comes later (cpio) is
                // checked with that data; any other entry now.
                let expected = meta.expected.flatMap { $0.size > 0 && size == 0 ? nil : $0 }
                if let expected, expected.size != size {
                    throw HostilePayloadError(archive: archiveName, entry: entry.path,
                                              reason: "holds \(size) bytes where the header says \(expected.size)")
                }
                let digest = try expected?.digest.map { recorded in
                    guard let digest = RPMDigest(algorithm: recorded.algorithm) else {
                        throw HostilePayloadError(archive: archiveName, entry: entry.path,
                                                  reason: "its header uses unknown digest algorithm \(recorded.algorithm)")
                    }
                    return digest
                }
                let checksum = try transaction.writeRegularFile(attributes, xattrs: meta.xattrs, length: size) { sink in
                    try reader.readData { chunk in
                        digest?.update(chunk)
                        try sink(chunk)
                    }
                }
                if let digest, let recorded = expected?.digest, digest.finish() != recorded.hex {
                    throw HostilePayloadError(archive: archiveName, entry: entry.path,
                                              reason: "its content does not match the digest in the header")
                }
                summary.files += 1
                summary.bytes += entry.size
                if entry.size > 0 || groupChecksum[first] == nil {
                    groupChecksum[first] = checksum
                    for member in linkGroups[first] ?? [first] {
                        try place(member, checksum: checksum)
                        if expected != nil { summary.checkedFiles.insert(member) }
                    }
                } else {
                    try place(path, checksum: groupChecksum[first]!)
                }
            default:
                summary.skippedSpecialFiles.append(path)
            }
        }
        return summary
    }

    /// `./usr/bin/x` or `usr/bin/x` → `/usr/bin/x`; absolute paths and `..` are refused.
    private func normalize(_ raw: String) throws -> String {
        if raw.hasPrefix("/") {
            throw HostilePayloadError(archive: archiveName, entry: raw, reason: "absolute path")
        }
        var components: [Substring] = []
        for component in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." {
                throw HostilePayloadError(archive: archiveName, entry: raw, reason: "'..' escapes the tree")
            }
            components.append(component)
        }
        return "/" + components.joined(separator: "/")
    }
}
