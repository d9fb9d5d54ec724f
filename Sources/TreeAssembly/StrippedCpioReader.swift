import Archive
import RPM
import ToolSupport

/// rpm's "stripped" cpio payload (magic `07070X`): each entry is only the index of a file in
/// the header's file list, then that file's data, whose size the header gives (for a hard-link
/// set only its last member carries data); names, modes and link targets come from the header.
/// Files of the header the payload did not list are produced from the header after it.
final class StrippedCpioReader: PayloadSource {
    private let stream: ArchiveReader
    private let files: [RPMFile]
    private let archiveName: String
    private var seen = Set<Int>()
    private var firstPathOfInode: [UInt32: String] = [:]
    private var pendingDataSize = 0
    private var remainingFromHeader: [Int]?
    /// For each hard-link set, the index of its last member: only that one carries the data.
    private let lastOfLinkSet: [UInt32: Int]

    static let magic = Array("07070X".utf8)
    static let trailerMagic = Array("070701".utf8)

    /// Reads the decompressed payload of `path` from `offset`.
    init(path: String, offset: Int64, files: [RPMFile]) throws {
        stream = try ArchiveReader(path: path, offset: offset, raw: true)
        guard try stream.nextEntry() != nil else { throw ArchiveError(archive: path, message: "empty payload") }
        self.files = files
        archiveName = path
        var members: [UInt32: [Int]] = [:]
        for (index, file) in files.enumerated() where FileMode.type(file.mode) == FileMode.regular && !file.isGhost {
            members[file.inode, default: []].append(index)
        }
        lastOfLinkSet = members.filter { $0.value.count > 1 }.mapValues { $0.max()! }
    }

    func nextEntry() throws -> ArchiveEntry? {
        if remainingFromHeader == nil {
            try skip(pendingDataSize + padding(pendingDataSize))
            pendingDataSize = 0
            let magic = try stream.read(6)
            if magic == Self.magic {
                return try payloadEntry()
            }
            guard magic == Self.trailerMagic || magic.isEmpty else {
                throw ArchiveError(archive: archiveName, message: "stripped cpio payload: bad entry magic")
            }
            remainingFromHeader = files.indices.filter { !seen.contains($0) && !files[$0].isGhost }
        }
        guard let index = remainingFromHeader?.first else { return nil }
        remainingFromHeader?.removeFirst()
        return entry(for: index, size: 0)
    }

    func readData(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        let total = pendingDataSize
        var left = total
        while left > 0 {
            let chunk = try stream.read(min(left, 1 << 16))
            guard !chunk.isEmpty else { throw ArchiveError(archive: archiveName, message: "stripped cpio payload ends early") }
            try chunk.withUnsafeBytes { try sink($0) }
            left -= chunk.count
        }
        try skip(padding(total))
        pendingDataSize = 0
        return Int64(total)
    }

    /// The entry after a `07070X` magic: eight hex digits of file index, padding to four bytes.
    private func payloadEntry() throws -> ArchiveEntry {
        let digits = try stream.read(8)
        guard let index = Int(String(decoding: digits, as: UTF8.self), radix: 16), files.indices.contains(index) else {
            throw ArchiveError(archive: archiveName, message: "stripped cpio payload names a file the header does not have")
        }
        try skip(padding(14))
        seen.insert(index)
        let file = files[index]
        var size = 0
        switch FileMode.type(file.mode) {
        case FileMode.regular:
            size = lastOfLinkSet[file.inode].map { $0 == index } ?? true ? Int(file.size) : 0
        case FileMode.symlink:
            size = Int(file.size)   // the target, which the header also holds
        default:
            size = 0
        }
        pendingDataSize = size
        return entry(for: index, size: size)
    }

    private func entry(for index: Int, size: Int) -> ArchiveEntry {
        let file = files[index]
        var linkTarget: String?
        if FileMode.type(file.mode) == FileMode.regular {
            if let first = firstPathOfInode[file.inode], first != file.path {
                linkTarget = "." + first
            } else {
                firstPathOfInode[file.inode] = file.path
            }
        }
        return ArchiveEntry(path: "." + file.path, hardlinkTarget: linkTarget,
                            symlinkTarget: FileMode.type(file.mode) == FileMode.symlink ? file.symlinkTarget : nil,
                            mode: file.mode, uid: 0, gid: 0, size: Int64(size), linkCount: 1,
                            device: 0, inode: UInt64(file.inode), xattrs: [])
    }

    private func padding(_ size: Int) -> Int { (4 - size % 4) % 4 }

    private func skip(_ count: Int) throws {
        if count > 0 { _ = try stream.read(count) }
    }
}
