import Foundation
import ToolSupport

/// A raw disk holding one ext4 filesystem made from a directory: how content (updates,
/// tests) reaches machines that have no network.
public enum DataDisk {
    /// Writes `directory`'s content into an ext4 filesystem labelled `label` at `output`
    /// (replaced only once complete), sized for the content with room to spare.
    public static func write(from directory: String, label: String, to output: String) throws {
        let content = UInt64(try Program.check(["du", "-sb", directory]).stdout.split(separator: "\t").first ?? "0") ?? 0
        let size = (content + content / 4 + (64 << 20)) / (1 << 20) * (1 << 20)
        Console.progress("Writing \(output) (\(ByteCount.format(size)))")
        let partial = output + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        try Program.check(["truncate", "-s", String(size), partial])
        try Program.check(["mkfs.ext4", "-q", "-F", "-L", label, "-d", directory, partial])
        try? FileManager.default.removeItem(atPath: output)
        try FileManager.default.moveItem(atPath: partial, toPath: output)
    }
}
