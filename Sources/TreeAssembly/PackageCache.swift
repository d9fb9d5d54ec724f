import Archive
import Foundation
import OSTree
import RPM
import ToolSupport

/// A package in the cache: its commit and header.
public struct CachedPackage: Sendable {
    public var commit: String
    public var header: RPMHeader
    /// Paths owned by users or groups other than root, fixed up after `%pre` scriptlets ran
    /// (the users may not exist before).
    public var foreignOwners: [ForeignOwnership]
    /// The SHA-256 of the package file it was imported from (nil for entries older than it).
    public var fileSHA256: String?
}

/// A file whose owner is named in the header but not root.
public struct ForeignOwnership: Sendable, Equatable {
    public var path: String
    public var user: String
    public var group: String
}

/// Every RPM imported once into an OSTree commit of its own (rpm-ostree's pkgcache), so that
/// trees are assembled from hard-link checkouts instead of unpacking packages again.
///
/// Lives in a `bare` repository: checkouts keep real ownership and capabilities. Immutable
/// after creation; imports may run on several threads (libostree writes are thread-safe
/// within a transaction).
public final class PackageCache: @unchecked Sendable {
    public let repository: OSTreeRepository

    /// Metadata keys of a package commit.
    enum Key {
        static let header = "harness.rpm.header"
        /// The package file up to its payload (lead, signature header, header), byte for byte:
        /// its signature can be checked again later, against another repository's keys.
        static let signedHeaders = "harness.rpm.signed-headers"
        static let fileChecksum = "harness.rpm.file-sha256"
        static let foreignOwners = "harness.rpm.foreign-owners"
        static let baseArchive = "harness.base.archive-sha256"
    }

    /// Opens (creating if needed) the cache repository at `path`.
    public init(path: String) throws {
        repository = try OSTreeRepository.openOrCreate(at: path, mode: .bare)
        repository.disableFsync()
    }

    /// The ref a package's commit lives under, e.g. `harness/pkg/bash/5.2.15-3.x86_64`.
    public static func ref(name: String, evr: String, arch: String) -> String {
        "harness/pkg/" + escape(name) + "/" + escape("\(evr).\(arch)")
    }

    /// The cached package for this exact file (its SHA-256), if it was imported before.
    public func lookup(name: String, evr: String, arch: String, fileSHA256: String) throws -> CachedPackage? {
        // A package with an explicit `Epoch: 0` is cached under "0:" (its header's EVR).
        for candidate in evr.contains(":") ? [evr] : [evr, "0:" + evr] {
            guard let commit = try repository.resolve(Self.ref(name: name, evr: candidate, arch: arch)) else { continue }
            let info = try repository.commit(commit)
            guard info.metadata[Key.fileChecksum]?.stringValue == fileSHA256 else { return nil }
            return try cachedPackage(commit: commit, info: info)
        }
        return nil
    }

    /// The cached package of a NEVRA, whichever file it came from; nil when none is cached.
    public func lookup(_ package: InstalledPackage) throws -> CachedPackage? {
        // An explicit epoch 0 is part of the ref (rpm's header says "0:"), not of the NEVRA.
        for evr in [package.evr, "0:" + package.evr] {
            if let commit = try repository.resolve(Self.ref(name: package.name, evr: evr, arch: package.arch)) {
                return try self.package(commit: commit)
            }
        }
        return nil
    }

    /// The package file's lead and headers as imported (a package file without payload whose
    /// signature librpm can check); nil for entries imported before they were kept.
    public func signedHeaders(commit: String) throws -> [UInt8]? {
        try repository.commit(commit).metadata[Key.signedHeaders]?.bytesValue
    }

    /// The cached package behind a commit of this cache.
    public func package(commit: String) throws -> CachedPackage {
        try cachedPackage(commit: commit, info: repository.commit(commit))
    }

    private func cachedPackage(commit: String, info: CommitInfo) throws -> CachedPackage {
        guard let blob = info.metadata[Key.header]?.bytesValue else {
            throw RPMError(commit, "package cache commit has no RPM header")
        }
        let owners = (info.metadata[Key.foreignOwners]?.stringsValue ?? []).compactMap { line -> ForeignOwnership? in
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return parts.count == 3 ? ForeignOwnership(path: parts[0], user: parts[1], group: parts[2]) : nil
        }
        return CachedPackage(commit: commit, header: try RPMHeader(blob: blob, source: commit), foreignOwners: owners,
                             fileSHA256: info.metadata[Key.fileChecksum]?.stringValue)
    }

    /// Imports an RPM file: header and payload digests checked, payload paths validated against
    /// the header's file list, ownership, modes and capabilities taken from the header.
    public func importPackage(at path: String) throws -> CachedPackage {
        try repository.withTransaction { try importPackage(PackageFile(path: path), in: $0) }
    }

    /// A package file to import, with what is known of its SHA-256.
    public struct PackageFile: Sendable {
        public enum SHA256: Sendable {
            /// Checked against the repository's metadata already (librepo checks what it downloads).
            case checked(String)
            /// What the repository's metadata says: the file's own digest must be it.
            case expected(String)
            case unknown
        }

        public var path: String
        public var sha256: SHA256

        public init(path: String, sha256: SHA256 = .unknown) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// Imports several RPM files at once, one per processor core, in one transaction. Results
    /// keep the order of `files`; the first failure fails the whole import and records nothing.
    public func importPackages(_ files: [PackageFile],
                               progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> [CachedPackage] {
        guard !files.isEmpty else { return [] }
        return try repository.withTransaction { transaction in
            let results = ResultSlots<CachedPackage>(count: files.count)
            DispatchQueue.concurrentPerform(iterations: files.count) { index in
                results[index] = Result {
                    let package = try importPackage(files[index], in: transaction)
                    progress(package.header.nevra)
                    return package
                }
            }
            return try results.values()
        }
    }

    private func importPackage(_ file: PackageFile, in transaction: Transaction) throws -> CachedPackage {
        let path = file.path
        let fileSHA256: String
        if case .checked(let checked) = file.sha256 {
            fileSHA256 = checked
        } else {
            fileSHA256 = try Digest.sha256(file: path)
            if case .expected(let expected) = file.sha256, expected != fileSHA256 {
                throw RPMError(path, "its SHA-256 is \(fileSHA256), but its repository's metadata says \(expected)")
            }
        }
        let package = try RPMPackageFile(path: path)
        let header = package.header
        guard header.isVersion4 else {
            throw RPMError(path, "RPM v3 packages are not supported (rebuild it with rpm 4.x)")
        }
        guard !header.isSource else { throw RPMError(path, "source packages cannot be installed") }
        try package.verifyPayload()

        var filesByPath: [String: RPMFile] = [:]
        for file in header.files { filesByPath[file.path] = file }
        var foreign: [ForeignOwnership] = []
        var capabilityErrors: [Error] = []

        let tree = MutableTree()
        let importer = PayloadImporter(transaction: transaction, archiveName: path) { entryPath, entry in
            guard let file = filesByPath[entryPath] else { return nil }
            if file.user != "root" || file.group != "root" {
                foreign.append(ForeignOwnership(path: entryPath, user: file.user, group: file.group))
            }
            var xattrs: ExtendedAttributes = []
            if let text = file.capabilities, !text.isEmpty {
                do {
                    let capabilities = try FileCapabilities(text: text)
                    if !capabilities.isEmpty { xattrs.append(("security.capability", capabilities.xattrValue)) }
                } catch { capabilityErrors.append(error) }
            }
            let mode = FileMode.type(entry.mode) | (file.mode & FileMode.permissionMask)
            let expected = FileMode.type(file.mode) == FileMode.regular
                ? ExpectedContent(size: file.size, digest: file.digest) : nil
            return EntryMetadata(attributes: FileAttributes(mode: mode), xattrs: xattrs, expected: expected)
        }
        if header.files.contains(where: { !$0.isGhost }) {
            let summary: PayloadImporter.Summary
            if try Self.hasStrippedPayload(path: path, offset: package.payloadOffset) {
                let reader = try StrippedCpioReader(path: path, offset: package.payloadOffset, files: header.files)
                summary = try importer.importEntries(from: reader, into: tree)
            } else {
                let reader = try ArchiveReader(path: path, offset: package.payloadOffset)
                summary = try importer.importEntries(from: reader, into: tree)
            }
            // Every regular file the header lists must have arrived, with the content it says.
            for file in header.files where !file.isGhost && FileMode.type(file.mode) == FileMode.regular
                && !summary.checkedFiles.contains(file.path) {
                throw HostilePayloadError(archive: path, entry: file.path,
                                          reason: "the header lists it with \(file.size) bytes, but the payload does not carry them")
            }
            if !summary.skippedSpecialFiles.isEmpty {
                Console.warning("\(header.nevra): skipped device nodes and FIFOs, which OSTree commits cannot hold: "
                                + summary.skippedSpecialFiles.joined(separator: ", "))
            }
        } else {
            tree.setMetadata(try transaction.writeDirectoryMetadata(FileAttributes(mode: FileMode.directory | 0o755)))
        }
        if let first = capabilityErrors.first { throw RPMError(path, "\(first)") }
        let metadata: [String: MetadataValue] = [
            Key.header: .bytes(header.exportBlob()),
            Key.signedHeaders: .bytes(try Self.leadAndHeaders(of: path, payloadOffset: package.payloadOffset)),
            Key.fileChecksum: .string(fileSHA256),
            Key.foreignOwners: .strings(foreign.map { "\($0.path)\t\($0.user)\t\($0.group)" }),
        ]
        let commit = try transaction.writeCommit(tree: tree, parent: nil, subject: header.nevra,
                                                 metadata: metadata, timestamp: 0)
        transaction.setRef(Self.ref(name: header.name, evr: header.evr, arch: header.arch), to: commit)
        return CachedPackage(commit: commit, header: header, foreignOwners: foreign, fileSHA256: fileSHA256)
    }

    private static func leadAndHeaders(of path: String, payloadOffset: Int64) throws -> [UInt8] {
        guard let file = FileHandle(forReadingAtPath: path), let bytes = try file.read(upToCount: Int(payloadOffset)) else {
            throw RPMError(path, "cannot read its headers")
        }
        try? file.close()
        return [UInt8](bytes)
    }

    /// Whether the payload is rpm's "stripped" cpio (magic `07070X`), which libarchive does
    /// not read.
    static func hasStrippedPayload(path: String, offset: Int64) throws -> Bool {
        let reader = try ArchiveReader(path: path, offset: offset, raw: true)
        guard try reader.nextEntry() != nil else { return false }
        return try reader.read(6) == StrippedCpioReader.magic
    }

    /// Imports a root filesystem archive (tar, optionally compressed) as it is, ownership,
    /// modes and xattrs from the archive. Cached by the archive's SHA-256.
    public func importBaseArchive(at path: String) throws -> String {
        let sha256 = try Digest.sha256(file: path)
        let ref = "harness/base/" + sha256
        if let existing = try repository.resolve(ref) { return existing }
        Console.progress("Importing base archive \((path as NSString).lastPathComponent)")
        return try repository.withTransaction { transaction in
            let tree = MutableTree()
            let importer = PayloadImporter(transaction: transaction, archiveName: path) { _, entry in
                EntryMetadata(attributes: FileAttributes(uid: entry.uid, gid: entry.gid, mode: entry.mode),
                              xattrs: entry.xattrs.map { ($0.name, $0.value) })
            }
            let reader = try ArchiveReader(path: path)
            let summary = try importer.importEntries(from: reader, into: tree)
            if !summary.skippedSpecialFiles.isEmpty {
                let named = summary.skippedSpecialFiles.prefix(10).joined(separator: ", ")
                let more = summary.skippedSpecialFiles.count > 10 ? " and \(summary.skippedSpecialFiles.count - 10) more" : ""
                Console.warning("\(path): skipped device nodes and FIFOs, which OSTree commits cannot hold: \(named)\(more)")
            }
            let commit = try transaction.writeCommit(tree: tree, parent: nil, subject: "base \(path)",
                                                     metadata: [Key.baseArchive: .string(sha256)], timestamp: 0)
            transaction.setRef(ref, to: commit)
            return commit
        }
    }

    /// Makes a string safe as part of an OSTree ref: `[A-Za-z0-9._-]` stay, others become `_XX`.
    static func escape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if (scalar.properties.isASCIIHexDigit || scalar.properties.isAlphabetic) && byte < 128
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") {
                result.unicodeScalars.append(scalar)
            } else {
                result += String(format: "_%02X", byte)
            }
        }
        return result
    }
}
