import Foundation
import ToolSupport

/// A disk after a power cut, read from the host the two ways that decide whether it boots:
/// /boot as the bootloader reads it (extlinux and GRUB never replay an ext4 journal, so
/// `debugfs -c`, which does not either), and the root filesystem as the kernel will mount it
/// (its journal replayed, on a copy). The default boot entry's `ostree=` path must exist on the
/// root so seen, or ostree-prepare-root finds no deployment and the machine boots neither tree.
public struct BootEntryCheck {
    /// What the two views showed.
    public struct Finding: Sendable, CustomStringConvertible {
        /// `/boot/loader`'s target as the bootloader sees it (`loader.1`).
        public var loader: String
        /// The default entry's title and its `ostree=` argument.
        public var entryTitle: String
        public var ostreeArgument: String
        /// Where that path leads on the root filesystem after journal replay, nil when it
        /// leads nowhere; and why not.
        public var deployment: String?
        public var missing: String?

        public var bootsADeployment: Bool { deployment != nil }

        public var description: String {
            let boot = "the bootloader reads /boot/loader -> \(loader) and would boot '\(entryTitle)' with ostree=\(ostreeArgument)"
            if let deployment { return boot + ", which is \(deployment) on the root filesystem" }
            return boot + ", which does not exist on the root filesystem after journal replay (\(missing ?? "?"))"
        }
    }

    /// The disk (qcow2, the overlay of a machine whose power was cut) and a scratch directory
    /// for the partition copies.
    public let disk: String
    public let scratch: String

    public init(disk: String, scratch: String) {
        self.disk = disk
        self.scratch = scratch
    }

    /// Reads both views; nil when the disk has no ext4 partitions labelled `boot` and `root`
    /// (another OS's layout, which this check does not know).
    public func inspect() throws -> Finding? {
        let partitions = try ext4Partitions()
        guard let boot = partitions["boot"], let root = partitions["root"] else { return nil }
        let bootCopy = try copy(boot, named: "boot")
        defer { try? FileManager.default.removeItem(atPath: bootCopy) }
        guard let loader = try debugfs(bootCopy, "stat /loader", replayed: false).symlinkTarget else {
            throw ImageError("\(disk): /boot has no loader symlink")
        }
        let entry = try defaultEntry(bootCopy, loader: loader)
        try? FileManager.default.removeItem(atPath: bootCopy)

        let rootCopy = try copy(root, named: "root")
        defer { try? FileManager.default.removeItem(atPath: rootCopy) }
        // Replays the journal into the copy, as the kernel does at mount: nothing else.
        let replay = try Program.run(["e2fsck", "-E", "journal_only", "-p", rootCopy])
        guard replay.status < 4 else { throw ImageError("\(disk): e2fsck could not replay the root journal: \(replay.outputTail())") }
        var finding = Finding(loader: loader, entryTitle: entry.title, ostreeArgument: entry.ostree)
        switch try resolve(entry.ostree, in: rootCopy) {
        case .success(let path): finding.deployment = path
        case .failure(let reason): finding.missing = reason.description
        }
        return finding
    }

    /// The default entry: `DEFAULT` (or the first `LABEL`) of the loader's syslinux.cfg, or
    /// the highest `version` of its BLS entries when there is no syslinux.cfg.
    private func defaultEntry(_ boot: String, loader: String) throws -> (title: String, ostree: String) {
        let directory = "/" + loader
        if let config = try? debugfs(boot, "cat \(directory)/syslinux.cfg", replayed: false).output, config.contains("LABEL") {
            var labels: [(title: String, append: String)] = []
            var chosen: String?
            for line in config.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if line.hasPrefix("DEFAULT ") { chosen = String(line.dropFirst(8)) }
                if line.hasPrefix("LABEL ") { labels.append((String(line.dropFirst(6)), "")) }
                if line.hasPrefix("APPEND "), !labels.isEmpty { labels[labels.count - 1].append = String(line.dropFirst(7)) }
            }
            guard let entry = labels.first(where: { $0.title == chosen }) ?? labels.first,
                  let ostree = Self.ostreeArgument(entry.append) else {
                throw ImageError("\(disk): \(directory)/syslinux.cfg has no entry with an ostree= argument")
            }
            return (entry.title, ostree)
        }
        let names = try debugfs(boot, "ls -p \(directory)/entries", replayed: false).output
            .split(whereSeparator: \.isNewline).compactMap { $0.split(separator: "/").dropFirst(4).first.map(String.init) }
            .filter { $0.hasSuffix(".conf") }
        var entries: [(version: Int, title: String, ostree: String)] = []
        for name in names {
            let text = try debugfs(boot, "cat \(directory)/entries/\(name)", replayed: false).output
            var fields: [String: String] = [:]
            for line in text.split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            if let ostree = fields["options"].flatMap(Self.ostreeArgument) {
                entries.append((Int(fields["version"] ?? "") ?? 0, fields["title"] ?? name, ostree))
            }
        }
        guard let first = entries.max(by: { $0.version < $1.version }) else {
            throw ImageError("\(disk): \(directory) has no boot entry with an ostree= argument")
        }
        return (first.title, first.ostree)
    }

    static func ostreeArgument(_ commandLine: String) -> String? {
        commandLine.split(separator: " ").first { $0.hasPrefix("ostree=") }.map { String($0.dropFirst(7)) }
    }

    /// Follows `path` on the filesystem image one component at a time, symlinks included
    /// (ostree's `boot.N -> boot.N.M` and the deployment links), to a directory.
    private func resolve(_ path: String, in image: String) throws -> Result<String, ImageError> {
        var pending = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == "." || component.isEmpty { continue }
            if component == ".." { _ = resolved.popLast(); continue }
            let candidate = "/" + (resolved + [component]).joined(separator: "/")
            let status = try debugfs(image, "stat \(candidate)", replayed: true)
            guard status.exists else { return .failure(ImageError("\(candidate) is missing")) }
            if let target = status.symlinkTarget {
                hops += 1
                guard hops < 40 else { return .failure(ImageError("\(candidate): too many symlinks")) }
                let parts = target.split(separator: "/").map(String.init)
                if target.hasPrefix("/") { resolved = [] }
                pending = parts + pending
            } else {
                resolved.append(component)
            }
        }
        return .success("/" + resolved.joined(separator: "/"))
    }

    /// What `debugfs` printed for one request, and what `stat` said of a path.
    private struct DebugfsOutput {
        var output: String
        var exists: Bool { !output.contains("File not found by ext2_lookup") && output.contains("Inode:") }
        var symlinkTarget: String? {
            guard let line = output.split(whereSeparator: \.isNewline).first(where: { $0.contains("Fast link dest:") }),
                  let start = line.firstIndex(of: "\""), let end = line.lastIndex(of: "\""), start < end else { return nil }
            return String(line[line.index(after: start)..<end])
        }
    }

    /// `debugfs` on a filesystem image: `-c` (catastrophic mode) reads it without the journal,
    /// as a bootloader does.
    private func debugfs(_ image: String, _ request: String, replayed: Bool) throws -> DebugfsOutput {
        let result = try Program.run(["debugfs"] + (replayed ? [] : ["-c"]) + ["-R", request, image])
        return DebugfsOutput(output: result.stdout + result.stderr)
    }

    /// A partition: its byte offset and size on the disk.
    struct Partition {
        var offset: UInt64
        var size: UInt64
    }

    /// The disk's ext4 partitions by filesystem label.
    func ext4Partitions() throws -> [String: Partition] {
        let head = scratch + "/partition-table"
        defer { try? FileManager.default.removeItem(atPath: head) }
        try Program.check(["qemu-img", "dd", "-U", "-f", "qcow2", "-O", "raw", "bs=1M", "count=1", "if=" + disk, "of=" + head])
        let listing = try Program.check(["sfdisk", "--json", head]).stdout
        guard let table = (try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [String: Any])?["partitiontable"] as? [String: Any],
              let entries = table["partitions"] as? [[String: Any]] else {
            throw ImageError("\(disk): cannot read its partition table")
        }
        let sector = (table["sectorsize"] as? UInt64) ?? 512
        var result: [String: Partition] = [:]
        for entry in entries {
            guard let start = entry["start"] as? UInt64, let size = entry["size"] as? UInt64 else { continue }
            let partition = Partition(offset: start * sector, size: size * sector)
            if let label = try ext4Label(partition) { result[label] = partition }
        }
        return result
    }

    /// The label of an ext4 superblock (1024 bytes into the partition: magic at 56, name at 120).
    private func ext4Label(_ partition: Partition) throws -> String? {
        let superblock = scratch + "/superblock"
        defer { try? FileManager.default.removeItem(atPath: superblock) }
        // qemu-img dd (7.2) counts `count` from the start of the input, not from `skip`.
        let block = partition.offset / 1024 + 1
        try Program.check(["qemu-img", "dd", "-U", "-f", "qcow2", "-O", "raw", "bs=1024",
                           "skip=\(block)", "count=\(block + 1)", "if=" + disk, "of=" + superblock])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: superblock)))
        guard bytes.count >= 136, bytes[56] == 0x53, bytes[57] == 0xEF else { return nil }
        return String(decoding: bytes[120..<136].prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A sparse raw copy of one partition.
    private func copy(_ partition: Partition, named name: String) throws -> String {
        let output = scratch + "/" + name + ".raw"
        let source = "driver=raw,offset=\(partition.offset),size=\(partition.size),file.driver=qcow2,file.file.filename=\(disk)"
        try Program.check(["qemu-img", "convert", "-U", "--image-opts", source, "-O", "raw", output])
        return output
    }
}
