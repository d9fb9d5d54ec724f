import Foundation
import ToolSupport

/// A platform's kernel arguments, written into a copy of the image's disk: the `options` line
/// of the deployment's BLS entry (what ostree carries into the next deployment) and the
/// `APPEND` line of the syslinux.cfg both bootloaders read, rewritten in the `/boot`
/// filesystem with debugfs (no mount, no appliance). The files are small and rewritten whole;
/// extlinux's own blocks are never moved. Each file is read back afterwards.
struct PlatformBootArguments {
    /// /boot as the image build staged it, before it became a filesystem.
    let bootContent: String
    /// Where the `/boot` filesystem starts in the disk.
    let bootOffset: UInt64

    /// The files to rewrite, relative to /boot, with their new text for `arguments`.
    func rewrites(appending arguments: [String]) throws -> [(path: String, text: String)] {
        let loader = try FileManager.default.destinationOfSymbolicLink(atPath: bootContent + "/loader")
        let entries = "/\(loader)/entries"
        let entryNames = try FileManager.default.contentsOfDirectory(atPath: bootContent + entries)
            .filter { $0.hasSuffix(".conf") }.sorted()
        let suffix = arguments.joined(separator: " ")
        var rewrites: [(String, String)] = []
        for path in entryNames.map({ "\(entries)/\($0)" }) + ["/\(loader)/syslinux.cfg"] {
            let text = try String(contentsOfFile: bootContent + path, encoding: .utf8)
            var changed = 0
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                guard trimmed.hasPrefix("options ") || trimmed.hasPrefix("APPEND ") else { return String(line) }
                changed += 1
                return line + " " + suffix
            }
            guard changed > 0 else { throw ImageError("\(path) in /boot has no kernel arguments line to extend") }
            rewrites.append((path, lines.joined(separator: "\n")))
        }
        return rewrites
    }

    /// Appends `arguments` to every boot entry of `disk` (a raw disk with this layout).
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
}
