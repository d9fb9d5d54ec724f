import Foundation

/// What a boot's serial console must never show (kola checks the same): each match fails the
/// boot, quoting the line.
public enum ConsoleCheck {
    /// (what the line contains, the kind of problem, whether the guest goes on booting after
    /// it). A failed unit does not stop a boot: the guest comes up, and the unit's own journal
    /// says more than its console line.
    static let patterns: [(needle: String, kind: String, bootGoesOn: Bool)] = [
        ("Kernel panic", "kernel panic", false),
        ("Oops:", "kernel Oops", false),
        ("BUG: ", "kernel BUG", false),
        ("WARNING: CPU:", "kernel warning", false),
        ("You are in emergency mode", "emergency shell", false),
        ("Entering emergency mode", "emergency shell", false),
        ("dracut-initqueue[", "dracut failure", false),
        ("dracut: FATAL", "dracut failure", false),
        ("segfault at", "segfault", false),
        ("invoked oom-killer", "out of memory", false),
        ("[FAILED] Failed to start", "failed unit", true),
    ]

    /// The problems found in `console`, one per offending line: (what, the line). With
    /// `stoppingTheBoot`, only those after which the guest may never answer.
    public static func problems(in console: String, stoppingTheBoot: Bool = false) -> [(kind: String, line: String)] {
        var found: [(String, String)] = []
        for rawLine in console.split(whereSeparator: \.isNewline) {
            let line = plainText(String(rawLine))
            for pattern in patterns where line.contains(pattern.needle) {
                // dracut-initqueue lines are only a problem when they report a timeout.
                if pattern.needle == "dracut-initqueue[" && !line.contains("timeout") { continue }
                if !(stoppingTheBoot && pattern.bootGoesOn) { found.append((pattern.kind, line)) }
                break
            }
        }
        return found
    }

    /// A console line without terminal colour codes and surrounding blanks.
    public static func plainText(_ line: String) -> String {
        line.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
