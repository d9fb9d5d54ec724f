import CLibRPM
import Foundation
import ToolSupport

/// A file as an RPM header describes it: real ownership, mode, flags and capabilities (the
/// cpio payload carries none of these reliably).
public struct RPMFile: Sendable {
    /// Absolute path, e.g. `/usr/bin/hello`.
    public var path: String
    public var user: String
    public var group: String
    /// Full `st_mode`, type bits included.
    public var mode: UInt32
    /// Text form of the file capabilities (`cap_net_raw=ep`); nil or empty for none.
    public var capabilities: String?
    public var isConfig: Bool
    public var isDocumentation: Bool
    /// Ghost files are owned but not shipped in the payload.
    public var isGhost: Bool
    public var size: UInt64
    /// For a symbolic link, its target; empty otherwise.
    public var symlinkTarget: String
    /// The inode number the packager's file had: files sharing one are hard links.
    public var inode: UInt32
    /// The digest of a regular file's content, as the header records it; nil for other files.
    public var digest: FileDigest?
}

/// A file digest from a header: rpm's algorithm number and the digest in hex.
public struct FileDigest: Sendable, Equatable {
    public var algorithm: Int32
    public var hex: String
}

/// When a scriptlet runs, in rpm's terms.
public enum ScriptletKind: String, Sendable, CaseIterable {
    case pre = "%pre"
    case post = "%post"
    case posttrans = "%posttrans"
    case preun = "%preun"
    case postun = "%postun"
    /// Triggers (`RPMHeader.triggers`): their scripts run under these names.
    case triggerin = "%triggerin"
    case filetriggerin = "%filetriggerin"
    case transfiletriggerin = "%transfiletriggerin"
}

/// A scriptlet from a header: its interpreter and body.
public struct Scriptlet: Sendable {
    public var kind: ScriptletKind
    /// The interpreter and its arguments, e.g. `["/bin/sh"]` or `["<lua>"]`.
    public var interpreter: [String]
    /// The script text; nil for an interpreter run without a body (e.g. `/sbin/ldconfig`).
    public var body: String?
    /// Whether the script is Lua, which rpm runs inside itself.
    public var isLua: Bool { interpreter.first == "<lua>" }
}

/// An RPM header: the package's identity, files, dependencies and scriptlets.
public final class RPMHeader: @unchecked Sendable {
    let handle: Header

    init(adopting handle: Header) { self.handle = handle }

    deinit { headerFree(handle) }

    /// Rebuilds a header from `exportBlob()` output (as stored in the package cache).
    public convenience init(blob: [UInt8], source: String) throws {
        let imported = RPMLibrary.withLibrary { () -> Header? in
            let copy = UnsafeMutableRawPointer.allocate(byteCount: blob.count, alignment: 8)
            defer { copy.deallocate() }
            blob.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: blob.count) }
            // HEADERIMPORT_COPY makes librpm take its own copy.
            return headerImport(copy, UInt32(blob.count), headerImportFlags(HEADERIMPORT_COPY.rawValue))
        }
        guard let imported else { throw RPMError(source, "stored RPM header is damaged") }
        self.init(adopting: imported)
    }

    /// The header in rpm's on-disk form, for storing beside a cached package.
    public func exportBlob() -> [UInt8] {
        var size: UInt32 = 0
        guard let blob = headerExport(handle, &size) else { return [] }
        defer { free(blob) }
        return Array(UnsafeRawBufferPointer(start: blob, count: Int(size)))
    }

    public var name: String { string(RPMTAG_NAME) ?? "" }
    public var version: String { string(RPMTAG_VERSION) ?? "" }
    public var release: String { string(RPMTAG_RELEASE) ?? "" }
    public var arch: String { string(RPMTAG_ARCH) ?? "noarch" }
    /// The epoch, nil when the package has none.
    public var epoch: UInt64? {
        headerIsEntry(handle, tag(RPMTAG_EPOCH)) != 0 ? headerGetNumber(handle, tag(RPMTAG_EPOCH)) : nil
    }
    /// `[epoch:]version-release`.
    public var evr: String { (epoch.map { "\($0):" } ?? "") + "\(version)-\(release)" }
    /// `name-[epoch:]version-release.arch`.
    public var nevra: String { "\(name)-\(evr).\(arch)" }
    /// Whether this is a source package.
    public var isSource: Bool { headerIsSource(handle) != 0 }
    /// Whether the header has the v4 immutable region; v3 packages do not.
    public var isVersion4: Bool { headerIsEntry(handle, tag(RPMTAG_HEADERIMMUTABLE)) != 0 }

    /// The payload digest (hex) and its algorithm number (8 = SHA-256), if recorded.
    public var payloadDigest: (hex: String, algorithm: Int32)? {
        guard let hex = strings(RPMTAG_PAYLOADDIGEST).first else { return nil }
        let algorithm = headerIsEntry(handle, tag(RPMTAG_PAYLOADDIGESTALGO)) != 0
            ? Int32(headerGetNumber(handle, tag(RPMTAG_PAYLOADDIGESTALGO))) : 8
        return (hex, algorithm)
    }

    /// Every file the package owns, with what the header says about it.
    public var files: [RPMFile] {
        guard let fi = rpmfilesNew(nil, handle, tag(RPMTAG_BASENAMES), rpmfiFlags(RPMFI_KEEPHEADER.rawValue)) else { return [] }
        defer { rpmfilesFree(fi) }
        let count = Int32(rpmfilesFC(fi))
        return (0..<count).map { index in
            let pathC = rpmfilesFN(fi, index)
            defer { free(pathC) }
            let flags = rpmfilesFFlags(fi, index)
            return RPMFile(
                path: pathC.map { String(cString: $0) } ?? "",
                user: rpmfilesFUser(fi, index).map { String(cString: $0) } ?? "root",
                group: rpmfilesFGroup(fi, index).map { String(cString: $0) } ?? "root",
                mode: UInt32(rpmfilesFMode(fi, index)),
                capabilities: rpmfilesFCaps(fi, index).map { String(cString: $0) },
                isConfig: flags & rpmfileAttrs(RPMFILE_CONFIG.rawValue) != 0,
                isDocumentation: flags & rpmfileAttrs(RPMFILE_DOC.rawValue) != 0,
                isGhost: flags & rpmfileAttrs(RPMFILE_GHOST.rawValue) != 0,
                size: UInt64(rpmfilesFSize(fi, index)),
                symlinkTarget: rpmfilesFLink(fi, index).map { String(cString: $0) } ?? "",
                inode: UInt32(rpmfilesFInode(fi, index)),
                digest: Self.digest(fi, index))
        }
    }

    private static func digest(_ fi: rpmfiles, _ index: Int32) -> FileDigest? {
        var algorithm: Int32 = 0
        var length = 0
        guard let bytes = rpmfilesFDigest(fi, index, &algorithm, &length), length > 0 else { return nil }
        return FileDigest(algorithm: algorithm, hex: Digest.hex(UnsafeBufferPointer(start: bytes, count: length)))
    }

    /// The scriptlets of the given kinds that the package has.
    public func scriptlets(_ kinds: [ScriptletKind] = [.pre, .post, .posttrans, .preun, .postun]) -> [Scriptlet] {
        kinds.compactMap { kind in
            guard let (bodyTag, programTag) = Self.tags(for: kind) else { return nil }
            let body = string(bodyTag)
            let program = strings(programTag)
            guard body != nil || !program.isEmpty else { return nil }
            return Scriptlet(kind: kind, interpreter: program.isEmpty ? ["/bin/sh"] : program, body: body)
        }
    }

    /// Names of requirements (`Requires:`), without versions.
    public var requires: [String] { strings(RPMTAG_REQUIRENAME) }
    /// Names of capabilities provided.
    public var provides: [String] { strings(RPMTAG_PROVIDENAME) }

    /// The body and program tags of a package scriptlet; nil for triggers, which have tags
    /// of their own.
    private static func tags(for kind: ScriptletKind) -> (rpmTag_e, rpmTag_e)? {
        switch kind {
        case .pre: (RPMTAG_PREIN, RPMTAG_PREINPROG)
        case .post: (RPMTAG_POSTIN, RPMTAG_POSTINPROG)
        case .posttrans: (RPMTAG_POSTTRANS, RPMTAG_POSTTRANSPROG)
        case .preun: (RPMTAG_PREUN, RPMTAG_PREUNPROG)
        case .postun: (RPMTAG_POSTUN, RPMTAG_POSTUNPROG)
        case .triggerin, .filetriggerin, .transfiletriggerin: nil
        }
    }

    func tag(_ value: rpmTag_e) -> rpmTagVal { rpmTagVal(value.rawValue) }

    private func string(_ value: rpmTag_e) -> String? {
        headerGetString(handle, tag(value)).map { String(cString: $0) }
    }

    /// An integer-array tag as a list.
    func numbers(_ value: rpmTag_e) -> [UInt32] {
        let td = rpmtdNew()
        defer { rpmtdFree(td) }
        guard headerGet(handle, tag(value), td, headerGetFlags(HEADERGET_MINMEM.rawValue)) != 0 else { return [] }
        defer { rpmtdFreeData(td) }
        var result: [UInt32] = []
        while let next = rpmtdNextUint32(td) { result.append(next.pointee) }
        return result
    }

    /// A string or string-array tag as a list.
    func strings(_ value: rpmTag_e) -> [String] {
        let td = rpmtdNew()
        defer { rpmtdFree(td) }
        guard headerGet(handle, tag(value), td, headerGetFlags(HEADERGET_MINMEM.rawValue)) != 0 else { return [] }
        defer { rpmtdFreeData(td) }
        var result: [String] = []
        while let next = rpmtdNextString(td) { result.append(String(cString: next)) }
        return result
    }
}
