import Foundation
import ToolSupport

/// What `mkfs.ext4 -d` needs to hold a tree, estimated from above before it runs, so that a
/// disk too small is refused with the size it needs rather than by mkfs's own failure.
enum RootFilesystemSize {
    /// Bytes of filesystem the tree at `path` needs: its data in 4 KiB blocks (each inode once:
    /// a deployment hard-links the repository's objects), one inode per 4 KiB of filesystem
    /// as mke2fs's "small" profile makes (a 128-byte inode, 1/32 of the size), the journal
    /// mke2fs picks for that size, and 2% for bitmaps and group descriptors.
    static func needed(forTreeAt path: String) throws -> UInt64 {
        let tree = try measure(path)
        var size = tree.data
        for _ in 0..<4 {
            let fixed = Double(tree.data + journal(forFilesystemOf: size))
            size = UInt64((fixed / (1 - 1.0 / 32 - 0.02)).rounded(.up))
        }
        return max(size, tree.inodes * 4096)
    }

    /// The tree's data in whole 4 KiB blocks and its inode count, each hard-linked inode once.
    static func measure(_ path: String) throws -> (data: UInt64, inodes: UInt64) {
        var seen = Set<UInt64>()
        var data: UInt64 = 0
        var pending = [path]
        while let directory = pending.popLast() {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
                let entry = directory + "/" + name
                var status = stat()
                try SystemCallError.check("lstat", entry) { lstat(entry, &status) }
                guard seen.insert(UInt64(status.st_ino)).inserted else { continue }
                switch status.st_mode & S_IFMT {
                case S_IFDIR:
                    pending.append(entry)
                    data += 4096
                case S_IFREG:
                    data += (UInt64(status.st_size) + 4095) / 4096 * 4096
                case S_IFLNK where status.st_size >= 60:
                    data += 4096
                default:
                    break
                }
            }
        }
        return (data + 4096, UInt64(seen.count) + 1)
    }

    /// mke2fs's default journal for a filesystem of `size` bytes (`ext2fs_default_journal_size`,
    /// counted in 4 KiB blocks: an upper bound for the 1 KiB blocks of small filesystems).
    static func journal(forFilesystemOf size: UInt64) -> UInt64 {
        let blocks = size / 4096
        let journalBlocks: UInt64 = switch blocks {
        case ..<2048: 0
        case ..<32768: 1024
        case ..<(256 * 1024): 4096
        case ..<(512 * 1024): 8192
        case ..<(4096 * 1024): 16384
        case ..<(8192 * 1024): 32768
        case ..<(16384 * 1024): 65536
        case ..<(32768 * 1024): 131072
        default: 262144
        }
        return journalBlocks * 4096
    }
}
