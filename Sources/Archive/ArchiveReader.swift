import CLibArchive
import Foundation
import ToolSupport

/// One entry of an archive, as libarchive decoded it.
public struct ArchiveEntry: Sendable {
    /// The path as stored, e.g. `./usr/bin/sh` or `usr/bin/sh`.
    public var path: String
    /// For a hard link: the path of an earlier entry it links to.
    public var hardlinkTarget: String?
    /// For a symbolic link: its target.
    public var symlinkTarget: String?
    /// `st_mode`, type bits included.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int64
    /// Number of links the archiver saw; cpio carries data with one link only.
    public var linkCount: UInt32
    public var device: UInt64
    public var inode: UInt64
    /// Extended attributes stored in the archive (tar/pax archives carry them; cpio does not).
    public var xattrs: [(name: String, value: [UInt8])]

    public init(path: String, hardlinkTarget: String?, symlinkTarget: String?, mode: UInt32, uid: UInt32, gid: UInt32,
                size: Int64, linkCount: UInt32, device: UInt64, inode: UInt64, xattrs: [(name: String, value: [UInt8])]) {
        self.path = path
        self.hardlinkTarget = hardlinkTarget
        self.symlinkTarget = symlinkTarget
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.linkCount = linkCount
        self.device = device
        self.inode = inode
        self.xattrs = xattrs
    }

    public var isDirectory: Bool { FileMode.type(mode) == FileMode.directory }
    public var isSymlink: Bool { FileMode.type(mode) == FileMode.symlink }
}

/// Reads an archive (tar, cpio; gzip, xz, zstd, bzip2 compressed or not) entry by entry.
public final class ArchiveReader {
    private let handle: OpaquePointer
    private let name: String
    private let fileDescriptor: Int32?

    /// Opens the archive file at `path`.
    public convenience init(path: String) throws {
        try self.init(name: path) { handle in
            archive_read_open_filename(handle, path, 1 << 17)
        }
    }

    /// Reads an archive that starts `offset` bytes into `path` (an RPM payload after its headers).
    /// With `raw`, the decompressed stream is one entry, whatever its format.
    public convenience init(path: String, offset: Int64, raw: Bool = false) throws {
        let fd = try SystemCallError.check("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            close(fd)
            throw ArchiveError(archive: path, message: "cannot seek to the payload at \(offset)")
        }
        try self.init(name: path, fileDescriptor: fd, raw: raw) { handle in
            archive_read_open_fd(handle, fd, 1 << 17)
        }
    }

    private init(name: String, fileDescriptor: Int32? = nil, raw: Bool = false, open: (OpaquePointer) -> Int32) throws {
        self.name = name
        self.fileDescriptor = fileDescriptor
        handle = archive_read_new()
        archive_read_support_filter_all(handle)
        if raw {
            archive_read_support_format_raw(handle)
        } else {
            archive_read_support_format_tar(handle)
            archive_read_support_format_cpio(handle)
            archive_read_support_format_gnutar(handle)
        }
        // On failure deinit frees the handle and closes the descriptor.
        if open(handle) != ARCHIVE_OK {
            throw ArchiveError(archive: name, handle: handle)
        }
    }

    deinit {
        archive_read_free(handle)
        if let fileDescriptor { close(fileDescriptor) }
    }

    /// The next entry's header, or nil at the end of the archive.
    public func nextEntry() throws -> ArchiveEntry? {
        var entry: OpaquePointer? = nil
        let status = archive_read_next_header(handle, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw ArchiveError(archive: name, handle: handle)
        }
        var xattrs: [(name: String, value: [UInt8])] = []
        if archive_entry_xattr_reset(entry) > 0 {
            var xname: UnsafePointer<CChar>? = nil
            var value: UnsafeRawPointer? = nil
            var size = 0
            while archive_entry_xattr_next(entry, &xname, &value, &size) == ARCHIVE_OK {
                guard let xname else { continue }
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                xattrs.append((String(cString: xname), bytes))
            }
        }
        return ArchiveEntry(
            path: archive_entry_pathname(entry).map { String(cString: $0) } ?? "",
            hardlinkTarget: archive_entry_hardlink(entry).map { String(cString: $0) },
            symlinkTarget: archive_entry_symlink(entry).map { String(cString: $0) },
            mode: UInt32(archive_entry_mode(entry)),
            uid: UInt32(truncatingIfNeeded: archive_entry_uid(entry)),
            gid: UInt32(truncatingIfNeeded: archive_entry_gid(entry)),
            size: archive_entry_size(entry),
            linkCount: UInt32(archive_entry_nlink(entry)),
            device: UInt64(archive_entry_dev(entry)),
            inode: UInt64(truncatingIfNeeded: archive_entry_ino64(entry)),
            xattrs: xattrs)
    }

    /// Streams the current entry's data to `sink`, chunk by chunk; returns the byte count.
    @discardableResult
    public func readData(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        var total: Int64 = 0
        var buffer: UnsafeRawPointer? = nil
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let status = archive_read_data_block(handle, &buffer, &size, &offset)
            if status == ARCHIVE_EOF { return total }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                throw ArchiveError(archive: name, handle: handle)
            }
            try sink(UnsafeRawBufferPointer(start: buffer, count: size))
            total += Int64(size)
        }
    }

    /// The next `count` bytes of the current entry's data (fewer only at its end).
    public func read(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let read = bytes.withUnsafeMutableBytes { buffer in
                archive_read_data(handle, buffer.baseAddress! + filled, count - filled)
            }
            guard read >= 0 else { throw ArchiveError(archive: name, handle: handle) }
            if read == 0 { break }
            filled += read
        }
        return Array(bytes.prefix(filled))
    }
}
