import Foundation
import Synchronization

/// Scratch directories a killed process left: `TemporaryDirectory` names them
/// `<prefix><pid>-XXXXXX`, so a later run can tell its own and live processes' from those
/// whose owner is dead, and remove those (unmounting what is still mounted inside, such as a
/// rofiles-fuse mount), as it already destroys the domains a killed run left.
public enum AbandonedScratch {
    /// The prefixes of the scratch directories harness and treectl make (the hidden ones are
    /// staged inside a user's output directory: image build's artifacts, seeds).
    public static let ownedPrefixes = ["harness-", "compose-", "treectl-", ".harness-"]

    private static let swept = Mutex<Set<String>>([])

    /// Sweeps `directory` the first time this process asks (`TemporaryDirectory` asks for
    /// the directory it makes one in).
    public static func sweepOnce(_ directory: String) {
        guard swept.withLock({ $0.insert(directory).inserted }) else { return }
        sweep([directory])
    }

    /// Removes, in each of `directories`, the scratch directories of dead processes whose
    /// names start with one of `prefixes`; returns their paths.
    @discardableResult
    public static func sweep(_ directories: [String], prefixes: [String] = ownedPrefixes) -> [String] {
        var removed: [String] = []
        let mounts = MountTable.mountPoints()
        for directory in directories {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                guard prefixes.contains(where: name.hasPrefix), let pid = owner(of: name), !isAlive(pid) else { continue }
                let path = directory + "/" + name
                // Deepest first, so that nothing mounted is removed through its mount point.
                for mount in mounts.filter({ $0 == path || $0.hasPrefix(path + "/") }).sorted(by: { $0.count > $1.count }) {
                    _ = try? Program.run(["umount", "--lazy", mount])
                }
                FileTree.removeRecursively(path)
                removed.append(path)
            }
        }
        if !removed.isEmpty {
            Console.progress("Removed \(removed.count) scratch directories left by processes that died: "
                             + removed.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))
        }
        return removed
    }

    /// The pid in `<prefix><pid>-XXXXXX`, if the name has that shape.
    static func owner(of name: String) -> pid_t? {
        let parts = name.split(separator: "-")
        guard parts.count >= 3, parts.last?.count == 6, let pid = pid_t(parts[parts.count - 2]), pid > 0 else { return nil }
        return pid
    }

    private static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}

/// The mount points of this process's mount namespace, from /proc/self/mountinfo.
public enum MountTable {
    public static func mountPoints() -> [String] {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return table.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: " ")
            // Spaces and the like in paths are escaped as octal (\040).
            return fields.count > 4 ? decoded(String(fields[4])) : nil
        }
    }

    private static func decoded(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var result = ""
        var rest = Substring(field)
        while let slash = rest.firstIndex(of: "\\") {
            result += rest[..<slash]
            let code = rest[rest.index(after: slash)...].prefix(3)
            if code.count == 3, let value = UInt8(code, radix: 8) {
                result.append(Character(Unicode.Scalar(value)))
                rest = rest[rest.index(slash, offsetBy: 4)...]
            } else {
                result.append("\\")
                rest = rest[rest.index(after: slash)...]
            }
        }
        return result + rest
    }
}
