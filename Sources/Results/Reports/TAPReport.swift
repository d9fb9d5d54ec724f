import Foundation

/// `harness run`'s results as a TAP version 13 stream: one test point per test, in run order.
public enum TAPReport {
    /// The run as TAP: the plan `1..N`, then `ok`/`not ok` per test. A failed test is followed by a
    /// YAML diagnostic block (message, duration, attempts, artifacts, console excerpt); a skipped
    /// one carries `# SKIP` and the reason; a flaky one passes with its attempts in a block.
    public static func text(_ run: RunResult) -> String {
        var lines = ["TAP version 13", "1..\(run.tests.count)"]
        for (index, test) in run.tests.enumerated() {
            lines += testPoint(test, number: index + 1)
        }
        lines += run.passRates.map { "# \(oneLine($0.name)): \($0.summary)" }
        return lines.joined(separator: "\n") + "\n"
    }

    static func testPoint(_ test: TestResult, number: Int) -> [String] {
        // A `#` in the description would start a directive; TAP escapes it with a backslash.
        let description = oneLine(test.displayName).replacingOccurrences(of: "#", with: "\\#")
        switch test.status {
        case .passed:
            let point = "ok \(number) - \(description)"
            guard test.flaky else { return [point] }
            return [point, "  ---", "  flaky: true", "  attempts: \(test.attempts)", "  ..."]
        case .skipped:
            let reason = oneLine(test.skipReason ?? "")
            return ["ok \(number) - \(description) # SKIP" + (reason.isEmpty ? "" : " " + reason)]
        case .failed:
            var lines = [
                "not ok \(number) - \(description)",
                "  ---",
                "  message: \(quoted(ReportText.firstLine(test.failure ?? "failed")))",
                "  duration_s: " + String(format: "%.1f", test.duration),
            ]
            if test.attempts > 1 {
                lines.append("  attempts: \(test.attempts)")
            }
            lines.append("  artifacts: \(quoted(test.artifactsDirectory + "/"))")
            if let console = test.consoleExcerpt {
                lines += literalBlock("console", console)
            }
            lines.append("  ...")
            return lines
        }
    }

    /// `text` on one line, for a test point's description or directive.
    static func oneLine(_ text: String) -> String {
        ReportText.clean(text).split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// `text` as a YAML double-quoted string.
    static func quoted(_ text: String) -> String {
        let escaped = ReportText.clean(text)
            .replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// `key: |` and `text`'s lines below it, indented, blank lines at either end left out; none
    /// for a blank `text`. A first line that starts with a blank needs the indentation stated
    /// (`|2`), or YAML would take its blanks for the block's indentation.
    static func literalBlock(_ key: String, _ text: String) -> [String] {
        var lines = ReportText.clean(text).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while lines.last?.allSatisfy(\.isWhitespace) == true { lines.removeLast() }
        while lines.first?.allSatisfy(\.isWhitespace) == true { lines.removeFirst() }
        guard let first = lines.first else { return [] }
        let indicator = first.first?.isWhitespace == true ? "|2" : "|"
        return ["  \(key): \(indicator)"] + lines.map { "    " + $0 }
    }
}
