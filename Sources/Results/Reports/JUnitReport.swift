import Foundation
import ToolSupport

/// `harness run`'s results as JUnit XML, the format CI systems read: one `<testsuite>` named
/// `harness`, one `<testcase>` per test.
public enum JUnitReport {
    /// The run as a JUnit XML document. A failed test carries a `<failure>` (its first line as the
    /// message, the whole failure and the console excerpt as the text), a skipped one a
    /// `<skipped>` with the reason; every test's `<system-out>` lists its steps, its boots and its
    /// artifacts directory. A flaky test passes; its `<system-out>` says it failed first.
    public static func xml(_ run: RunResult) -> String {
        let skipped = run.tests.filter { $0.status == .skipped }.count
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            "<testsuites>",
            #"  <testsuite name="harness" tests="\#(run.tests.count)" failures="\#(run.failed.count)" errors="0" "#
                + #"skipped="\#(skipped)" time="\#(time(run.duration))" timestamp="\#(run.startedAt.formatted(.iso8601))">"#,
            "    <properties>",
            property("image", run.image),
            property("commit", run.commit),
            property("parallel", String(run.parallel)),
        ] + run.passRates.map { property("pass-rate " + $0.name, $0.summary) } + [
            "    </properties>",
        ]
        for test in run.tests {
            lines += testcase(test)
        }
        lines += ["  </testsuite>", "</testsuites>"]
        return lines.joined(separator: "\n") + "\n"
    }

    static func property(_ name: String, _ value: String) -> String {
        #"      <property name="\#(name)" value="\#(ReportText.escaped(value))"/>"#
    }

    static func testcase(_ test: TestResult) -> [String] {
        let classname = test.kind == "external" ? "ext" : test.kind
        var lines = [
            #"    <testcase name="\#(ReportText.escaped(test.displayName))" classname="\#(ReportText.escaped(classname))" "#
                + #"time="\#(time(test.duration))">"#,
        ]
        switch test.status {
        case .failed:
            let message = ReportText.escaped(ReportText.firstLine(test.failure ?? "failed"))
            lines.append(#"      <failure message="\#(message)">\#(ReportText.escaped(failureText(test)))</failure>"#)
        case .skipped:
            lines.append(#"      <skipped message="\#(ReportText.escaped(test.skipReason ?? ""))"/>"#)
        case .passed:
            break
        }
        lines.append("      <system-out>\(ReportText.escaped(systemOut(test)))</system-out>")
        lines.append("    </testcase>")
        return lines
    }

    /// The whole failure, then the console excerpt.
    static func failureText(_ test: TestResult) -> String {
        let failure = test.failure ?? "failed"
        guard let console = test.consoleExcerpt else { return failure }
        return failure + "\n\nConsole:\n" + console
    }

    /// What a test did, in plain lines: reruns, steps (offset, duration, outcome, title), boots,
    /// and where its artifacts are.
    static func systemOut(_ test: TestResult) -> String {
        var lines: [String] = []
        if test.flaky {
            lines.append("Flaky: failed first, passed on attempt \(test.attempts).")
            if let failure = test.failure {
                lines.append("First failure: " + failure)
            }
        } else if test.attempts > 1 {
            lines.append("Attempts: \(test.attempts)")
        }
        if !test.steps.isEmpty {
            lines.append("Steps:")
            for step in test.steps {
                let outcome = step.passed ? "ok" : "FAILED"
                lines.append("  +\(ReportText.seconds(step.start))  \(ReportText.seconds(step.duration))  \(outcome)  \(step.title)")
                if let failure = step.failure {
                    lines.append("    " + failure)
                }
            }
        }
        if !test.boots.isEmpty {
            lines.append("Boots:")
            for boot in test.boots {
                lines.append("  +\(ReportText.seconds(boot.start))  \(ReportText.seconds(boot.duration))  \(boot.kind.rawValue)"
                             + (boot.profile.map { ": " + $0.summary } ?? ""))
            }
        }
        lines.append("Artifacts: \(test.artifactsDirectory)/")
        return lines.joined(separator: "\n")
    }

    /// Seconds as JUnit writes them: `12.345`.
    static func time(_ seconds: TimeInterval) -> String {
        String(format: "%.3f", seconds)
    }
}

/// Text helpers the report writers (JUnit, TAP, HTML) share: consoles hold colour codes and
/// control characters no report can carry, and XML and HTML escape alike.
enum ReportText {
    /// `text` without terminal colour codes, with CR LF line ends as LF, and without control
    /// characters other than tab, LF and CR (XML 1.0 forbids them; HTML calls them errors).
    static func clean(_ text: String) -> String {
        let plain = text
            .replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
            .replacingOccurrences(of: "\r\n", with: "\n")
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: plain.unicodeScalars.filter(isAllowed))
        return String(scalars)
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\n", "\t", "\r": true
        case "\u{FFFE}", "\u{FFFF}": false
        default: scalar.properties.generalCategory != .control
        }
    }

    /// `text` cleaned and escaped for XML or HTML, in element content and quoted attributes alike.
    static func escaped(_ text: String) -> String {
        clean(text).xmlEscaped
    }

    /// The first line of `text` that is not blank, cleaned and trimmed.
    static func firstLine(_ text: String) -> String {
        clean(text).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty } ?? ""
    }

    /// Seconds for people: `12.3 s`.
    static func seconds(_ time: TimeInterval) -> String {
        String(format: "%.1f s", time)
    }
}
