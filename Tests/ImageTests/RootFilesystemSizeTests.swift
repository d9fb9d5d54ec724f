import Foundation
@testable import ImageBuild
import TestSupport
import Testing
import ToolSupport

/// The root filesystem's size estimate refuses a disk too small before mkfs runs, and never
/// refuses one `mkfs.ext4 -d` fills: a real mkfs of the estimated size takes the tree.
@Suite struct RootFilesystemSizeTests {
    /// A tree of many small files, a large one, hard links (counted once) and a long symlink.
    private func makeTree(in scratch: TemporaryDirectory) throws -> String {
        let tree = scratch.path + "/tree"
        for directory in 0..<20 {
            let path = tree + "/usr/share/d\(directory)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for file in 0..<50 { try Data(repeating: UInt8(file), count: 100 + file * 37).write(to: URL(fileURLWithPath: path + "/f\(file)")) }
        }
        try Data(repeating: 7, count: 12 << 20).write(to: URL(fileURLWithPath: tree + "/usr/big"))
        for link in 0..<5 { try Program.check(["ln", tree + "/usr/big", tree + "/usr/big-link\(link)"]) }
        try FileManager.default.createSymbolicLink(atPath: tree + "/usr/long", withDestinationPath: String(repeating: "x/", count: 50))
        return tree
    }

    @Test func hardLinksCountOnceAndEverySmallFileTakesABlock() throws {
        let scratch = try TemporaryDirectory(prefix: "rootfs-size-")
        defer { scratch.remove() }
        let measured = try RootFilesystemSize.measure(try makeTree(in: scratch))
        // 1,000 small files of a block each, 12 MiB once, 22 directories (usr, share, d0...d19), a
        // symlink's block, the root.
        #expect(measured.data == (1000 + 3072 + 22 + 1 + 1) * 4096)
        #expect(measured.inodes == 1000 + 1 + 22 + 1 + 1)
    }

    @Test func mkfsFitsTheTreeInTheEstimatedSize() throws {
        let scratch = try TemporaryDirectory(prefix: "rootfs-size-")
        defer { scratch.remove() }
        let tree = try makeTree(in: scratch)
        let needed = try RootFilesystemSize.needed(forTreeAt: tree)
        #expect(needed < 24 << 20, "an estimate far above the tree refuses disks that would do")
        let image = scratch.path + "/root.img"
        let made = try Program.run(["mkfs.ext4", "-q", "-F", "-d", tree, image, "\(needed >> 10)k"])
        #expect(made.succeeded, "mkfs.ext4 could not fit the tree in \(needed) bytes: \(made.stderr)")
    }

    @Test func tooSmallSaysWhatTheDiskNeeds() {
        let error = ImageError(.tooSmall(size: 600 << 20, needed: 1536 << 20))
        #expect(error.description == "--size 600 MiB: too small for the tree; it needs at least 1.5 GiB")
    }
}
