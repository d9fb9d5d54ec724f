import Foundation
import ToolSupport

/// What the installer writes, cut from the metal image so that it reads and writes only data:
/// `head.img` (the first MiB: the partition tables and boot code, written last, so that a
/// half-written disk never boots), `data.img` (every other MiB that holds data, found with
/// SEEK_DATA/SEEK_HOLE, in disk order), `extents` (`START COUNT` in MiB, one line per run of
/// data MiBs) and `manifest` (shell assignments the installer sources: sizes, sector size,
/// the digests it checks after writing).
struct InstallerPayload {
    static let mib: Int64 = 1 << 20
    /// lseek's whence values for sparse files (Linux; not in Swift's Glibc module).
    static let seekData: Int32 = 3
    static let seekHole: Int32 = 4

    let image: String
    let imageName: String
    let osName: String
    let sectorSize: Int

    /// The runs of MiBs after the first that hold data, as (start, count) in MiB.
    func extents() throws -> [(start: Int64, count: Int64)] {
        let fd = try SystemCallError.check("open", image) { open(image, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        var runs: [(Int64, Int64)] = []
        var offset = Int64(Self.mib)
        while offset < size {
            let data = lseek(fd, off_t(offset), Self.seekData)
            guard data >= 0 else { break }  // ENXIO: no data after offset
            let hole = lseek(fd, data, Self.seekHole)
            let start = Int64(data) / Self.mib
            let end = (Int64(hole) + Self.mib - 1) / Self.mib
            if let last = runs.last, last.0 + last.1 >= start {
                runs[runs.count - 1].1 = max(last.1, end - last.0)
            } else {
                runs.append((start, end - start))
            }
            offset = end * Self.mib
        }
        return runs
    }

    /// Writes the four files into `directory`.
    func write(into directory: String) throws {
        let size = Int64(try FileTree.size(of: image))
        guard size % Self.mib == 0 else { throw ImageError("\(image): not a whole number of MiB") }
        let runs = try extents()
        let head = try copy(ranges: [(0, 1)], to: directory + "/head.img")
        let data = try copy(ranges: runs, to: directory + "/data.img")
        try runs.map { "\($0.start) \($0.count)\n" }.joined().write(toFile: directory + "/extents", atomically: false, encoding: .utf8)
        let dataMiB = runs.reduce(0) { $0 + $1.count }
        let manifest = """
            IMAGE_NAME=\(imageName.shellQuoted)
            OS_NAME=\(osName.shellQuoted)
            IMAGE_SIZE=\(size)
            IMAGE_MIB=\(size / Self.mib)
            DATA_MIB=\(dataMiB)
            SECTOR_SIZE=\(sectorSize)
            HEAD_SHA256=\(head)
            DATA_SHA256=\(data)

            """
        try manifest.write(toFile: directory + "/manifest", atomically: false, encoding: .utf8)
    }

    /// Copies the MiB ranges of the image, in order, into `target`; returns their SHA-256.
    private func copy(ranges: [(start: Int64, count: Int64)], to target: String) throws -> String {
        let input = try SystemCallError.check("open", image) { open(image, O_RDONLY | O_CLOEXEC) }
        defer { close(input) }
        let output = try SystemCallError.check("open", target) { open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }
        defer { close(output) }
        var digest = Digest.Stream()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(Self.mib), alignment: 4096)
        defer { buffer.deallocate() }
        for range in ranges {
            for index in range.start..<(range.start + range.count) {
                let read = try SystemCallError.check("read", image) { pread(input, buffer.baseAddress, Int(Self.mib), off_t(index * Self.mib)) }
                guard read == Int(Self.mib) else { throw ImageError("\(image): short read at MiB \(index)") }
                digest.update(UnsafeRawBufferPointer(buffer))
                var written = 0
                while written < read {
                    written += try SystemCallError.check("write", target) { Glibc.write(output, buffer.baseAddress! + written, read - written) }
                }
            }
        }
        return digest.finalize()
    }
}
