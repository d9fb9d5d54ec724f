import Foundation
import ToolSupport

/// A platform's kernel arguments, written into a copy of the image's disk: the `options` line
/// of the deployment's BLS entry (what ostree carries into the next deployment) and the
/// `APPEND` line of the syslinux.cfg both bootloaders read, rewritten in the `/boot`
/// filesystem with debugfs (no mount, no appliance). The files are small and rewritten whole;
/// extlinux's own blocks are never moved. Each file is read back afterwards.
struct PlatformBootArguments {
    /// /boot as the image build staged it, or as `image extend` copied it out of the disk:
    /// read as a rooted tree (a link in it never leads out).
    let bootContent: String
    /// Where the `/boot` filesystem starts in the disk.
    let bootOffset: UInt64
    /// The arguments the disk's lines end with now, which the platform's replace: none on the
    /// build's hybrid disk, the metal platform's on a metal artifact.
    var replacing: [String] = []

    /// The files to rewrite, relative to /boot, with their new text for `arguments`.
    func rewrites(appending arguments: [String]) throws -> [(path: String, text: String)] {
        let boot = try RootedTree(bootContent)
        // ostree swaps `loader` between these two; anything else is not its /boot.
        guard let loader = try boot.symlinkTarget("/loader"), ["loader.0", "loader.1"].contains(loader) else {
            throw ImageError("/loader in /boot is not ostree's link to loader.0 or loader.1")
        }
        let entries = "/\(loader)/entries"
        let entryNames = (try boot.contentsOfDirectory(entries) ?? []).filter { $0.hasSuffix(".conf") }
        let present = replacing.isEmpty ? "" : " " + replacing.joined(separator: " ")
        let suffix = " " + arguments.joined(separator: " ")
        var rewrites: [(String, String)] = []
        for path in entryNames.map({ "\(entries)/\($0)" }) + ["/\(loader)/syslinux.cfg"] {
            guard let bytes = try boot.readFile(path, limit: 1 << 20) else { throw ImageError("\(path) is missing in /boot") }
            let text = String(decoding: bytes, as: UTF8.self)
            var changed = 0
            let lines = try text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                guard trimmed.hasPrefix("options ") || trimmed.hasPrefix("APPEND ") else { return String(line) }
                guard line.hasSuffix(present) else {
                    throw ImageError("\(path) in /boot: the kernel arguments do not end with '\(replacing.joined(separator: " "))'")
                }
                changed += 1
                return String(line.dropLast(present.count)) + suffix
            }
            guard changed > 0 else { throw ImageError("\(path) in /boot has no kernel arguments line to extend") }
            rewrites.append((path, lines.joined(separator: "\n")))
        }
        return rewrites
    }

    /// Appends `arguments` to every boot entry of `disk` (a raw disk with this layout), in
    /// place of `replacing`.
    func append(_ arguments: [String], disk: String, scratch: String) throws {
        let device = "\(disk)?offset=\(bootOffset)"
        for (index, rewrite) in try rewrites(appending: arguments).enumerated() {
            let file = "\(scratch)/boot-file-\(index)"
            try rewrite.text.write(toFile: file, atomically: false, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            try Program.check(["debugfs", "-w", "-R", "rm \(rewrite.path)", device])
            try Program.check(["debugfs", "-w", "-R", "write \(file) \(rewrite.path)", device])
            let readBack = try Program.check(["debugfs", "-R", "cat \(rewrite.path)", device]).stdout
            guard readBack == rewrite.text else {
                throw ImageError("\(disk): \(rewrite.path) in /boot did not read back as written")
            }
        }
    }

    /// The boot entries of `disk`'s /boot (the `loader` link and the loader directories, not
    /// the kernels), copied into `directory` with debugfs: what `rewrites` reads.
    static func copyLoader(disk: String, bootOffset: UInt64, into directory: String) throws {
        let device = "\(disk)?offset=\(bootOffset)"
        // `ls -p`: /inode/mode/uid/gid/name/size/ per entry.
        let names = try Program.check(["debugfs", "-R", "ls -p /", device]).stdout.split(separator: "\n")
            .compactMap { $0.split(separator: "/", omittingEmptySubsequences: false).dropFirst(5).first.map(String.init) }
            .filter { ["loader", "loader.0", "loader.1"].contains($0) }
        guard names.contains("loader") else { throw ImageError("\(disk): its /boot has no ostree loader") }
        try Program.check(["debugfs", "-R", "rdump \(names.map { "/" + $0 }.joined(separator: " ")) \(directory)", device])
    }
}
