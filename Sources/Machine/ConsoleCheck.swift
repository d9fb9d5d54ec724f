import Foundation

/// What a boot's serial console must never show (kola checks the same): each match fails the
/// boot, quoting the line.
public enum ConsoleCheck {
    static let patterns: [(String, String)] = [
        ("Kernel panic", "kernel panic"),
        ("Oops:", "kernel Oops"),
        ("BUG: ", "kernel BUG"),
        ("WARNING: CPU:", "kernel warning"),
        ("You are in emergency mode", "emergency shell"),
        ("Entering emergency mode", "emergency shell"),
        ("dracut-initqueue[", "dracut failure") ,
        ("dracut: FATAL", "dracut failure"),
        ("segfault at", "segfault"),
        ("invoked oom-killer", "out of memory"),
        ("[FAILED] Failed to start", "failed unit"),
    ]

    /// The problems found in `console`, one per offending line: (what, the line).
    public static func problems(in console: String) -> [(kind: String, line: String)] {
        var found: [(String, String)] = []
        for rawLine in console.split(whereSeparator: \.isNewline) {
            let line = plainText(String(rawLine))
            for (needle, kind) in patterns where line.contains(needle) {
                // dracut-initqueue lines are only a problem when they report a timeout.
                if needle == "dracut-initqueue[" && !line.contains("timeout") { continue }
                found.append((kind, line))
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
