import Foundation

/// `harness run`'s results as one self-contained HTML page (inline CSS, no script, nothing
/// fetched): the run, a summary table, then per test a timeline of its steps and boots, its
/// steps, and for a failure the failure and the console around it.
public enum HTMLReport {
    /// The run as an HTML page. Links to artifacts are relative: the page belongs in the output
    /// directory that `TestResult.artifactsDirectory` is relative to.
    public static func html(_ run: RunResult) -> String {
        var page = [head(run), header(run), summary(run)]
        for (index, test) in run.tests.enumerated() {
            page.append(section(test, number: index + 1))
        }
        page.append("</body>\n</html>\n")
        return page.joined(separator: "\n")
    }

    static func head(_ run: RunResult) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>harness run: \(e(run.image))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        """
    }

    static let style = """
        body { font: 14px/1.45 system-ui, sans-serif; color: #1f2328; margin: 2em auto; max-width: 80em; padding: 0 1em; }
        h2 { margin-top: 2.5em; border-bottom: 1px solid #d0d7de; }
        dl.run { display: grid; grid-template-columns: max-content auto; gap: .2em 1.5em; }
        dt { color: #59636e; }
        dd { margin: 0; }
        table { border-collapse: collapse; margin: 1em 0; }
        th, td { text-align: left; padding: .3em .8em; border-bottom: 1px solid #d0d7de; vertical-align: top; }
        td.number { text-align: right; font-variant-numeric: tabular-nums; }
        pre { background: #f6f8fa; padding: .8em; overflow-x: auto; white-space: pre-wrap; }
        .status { font-weight: 600; }
        .status.passed { color: #1a7f37; }
        .status.failed { color: #cf222e; }
        .status.skipped { color: #59636e; }
        .status.flaky { color: #9a6700; }
        .timeline { margin: 1em 0; padding-right: 2em; }
        .lane { display: flex; align-items: center; margin: .2em 0; }
        .lane-label { width: 4em; flex: none; color: #59636e; }
        .track { position: relative; flex: auto; height: 1.2em; background: #f6f8fa; }
        .bar { position: absolute; top: 0; bottom: 0; min-width: 2px; box-sizing: border-box; border-right: 1px solid #fff; }
        .bar.passed { background: #2da44e; }
        .bar.failed { background: #cf222e; }
        .bar.boot, .swatch.boot { background: #0969da; }
        .bar.reboot, .swatch.reboot { background: #8250df; }
        .bar.power-on, .swatch.power-on { background: #bf8700; }
        .bar.restore, .swatch.restore { background: #1a7f37; }
        .axis { position: relative; margin-left: 4em; height: 1.6em; border-top: 1px solid #8c959f; }
        .tick { position: absolute; top: 0; padding-top: 4px; transform: translateX(-50%); font-size: 11px; color: #59636e; }
        .tick::before { content: ""; position: absolute; top: 0; left: 50%; height: 4px; border-left: 1px solid #8c959f; }
        .legend { color: #59636e; font-size: 12px; }
        .swatch { display: inline-block; width: .8em; height: .8em; margin: 0 .3em 0 1em; vertical-align: middle; }
        """

    static func header(_ run: RunResult) -> String {
        let count = { (label: String) in run.tests.filter { status($0) == label }.count }
        let totals = ["passed", "failed", "skipped", "flaky"]
            .map { #"<span class="status \#($0)">\#(count($0)) \#($0)</span>"# }
            .joined(separator: ", ")
        return """
            <h1>harness run</h1>
            <dl class="run">
            <dt>When</dt><dd>\(run.startedAt.formatted(.iso8601))</dd>
            <dt>Image</dt><dd>\(e(run.image))</dd>
            <dt>Commit</dt><dd><code>\(e(run.commit))</code></dd>
            <dt>Parallel</dt><dd>\(run.parallel)</dd>
            <dt>Tests</dt><dd>\(run.tests.count): \(totals) <small>(flaky: passed on a rerun)</small></dd>
            \(run.passRates.map { "<dt>Pass rate</dt><dd>\(e($0.name)): \(e($0.summary))</dd>" }.joined(separator: "\n"))
            <dt>Total time</dt><dd>\(ReportText.seconds(run.duration))</dd>
            </dl>
            """
    }

    static func summary(_ run: RunResult) -> String {
        let rows = run.tests.enumerated().map { index, test in
            "<tr>"
                + ##"<td><a href="#test-\##(index + 1)">\##(e(test.displayName))</a></td>"##
                + #"<td class="status \#(status(test))">\#(status(test))</td>"#
                + #"<td class="number">\#(ReportText.seconds(test.duration))</td>"#
                + #"<td class="number">\#(bootShare(test))</td>"#
                + #"<td class="number">\#(test.attempts)</td>"#
                + "<td>\(artifactLinks(test))</td>"
                + "</tr>"
        }
        return """
            <table class="summary">
            <thead><tr><th>Test</th><th>Status</th><th>Duration</th><th>Booting</th><th>Attempts</th><th>Artifacts</th></tr></thead>
            <tbody>
            \(rows.joined(separator: "\n"))
            </tbody>
            </table>
            """
    }

    static func section(_ test: TestResult, number: Int) -> String {
        var parts = [
            #"<h2 id="test-\#(number)">\#(e(test.displayName)) <span class="status \#(status(test))">\#(status(test))</span></h2>"#,
            "<p>\(e(test.kind)), started \(test.startedAt.formatted(.iso8601)), \(ReportText.seconds(test.duration)), "
                + "booting \(bootShare(test)), \(test.attempts) attempt\(test.attempts == 1 ? "" : "s")</p>",
        ]
        if let reason = test.skipReason {
            parts.append("<p>Skipped: \(e(reason))</p>")
        }
        if let timeline = timeline(test) {
            parts.append(timeline)
        }
        if !test.steps.isEmpty {
            parts.append(stepTable(test))
        }
        if let failure = test.failure {
            let heading = test.status == .failed ? "Failure" : "Failure on an earlier attempt"
            parts.append("<h3>\(heading)</h3>\n<pre class=\"failure\">\(e(failure))</pre>")
        }
        if let console = test.consoleExcerpt {
            parts.append("<h3>Console at the failure</h3>\n<pre class=\"console\">\(e(console))</pre>")
        }
        return parts.joined(separator: "\n")
    }

    /// Steps and boots on two lanes, scaled to the test's duration, over a time axis in seconds.
    /// None for a test that took no time (a skipped one).
    static func timeline(_ test: TestResult) -> String? {
        let ends = test.steps.map { $0.start + $0.duration } + test.boots.map { $0.start + $0.duration }
        let span = max(test.duration, ends.max() ?? 0)
        guard span > 0 else { return nil }
        func bar(_ kind: String, _ start: TimeInterval, _ duration: TimeInterval, _ title: String) -> String {
            let place = String(format: "left:%.3f%%;width:%.3f%%", start / span * 100, duration / span * 100)
            let title = "\(title): +\(ReportText.seconds(start)), \(ReportText.seconds(duration))"
            return #"<div class="bar \#(kind)" style="\#(place)" title="\#(e(title))"></div>"#
        }
        let steps = test.steps.map { bar($0.passed ? "passed" : "failed", $0.start, $0.duration, $0.title) }
        let boots = test.boots.map { bar($0.kind.rawValue, $0.start, $0.duration, $0.kind.rawValue + ($0.profile.map { ": " + $0.summary } ?? "")) }
        let profiles = test.boots.compactMap { boot in
            boot.profile.map { "<li>\(boot.kind.rawValue) at +\(ReportText.seconds(boot.start)): \(e($0.summary))</li>" }
        }
        let ticks = axisTicks(span).map {
            #"<span class="tick" style="left:\#(String(format: "%.3f", $0 / span * 100))%">\#(String(format: "%g", $0)) s</span>"#
        }
        return """
            <div class="timeline">
            <div class="lane"><span class="lane-label">Steps</span><div class="track">\(steps.joined())</div></div>
            <div class="lane"><span class="lane-label">Boots</span><div class="track">\(boots.joined())</div></div>
            <div class="axis">\(ticks.joined())</div>
            </div>
            <p class="legend"><span class="swatch boot"></span>boot<span class="swatch reboot"></span>reboot<span class="swatch power-on"></span>power-on<span class="swatch restore"></span>restored from the saved first boot</p>
            """ + (profiles.isEmpty ? "" : "\n<ul class=\"profiles\">\(profiles.joined())</ul>")
    }

    /// About six ticks from 0 to `span`, at multiples of 1, 2 or 5 times a power of ten.
    static func axisTicks(_ span: TimeInterval) -> [TimeInterval] {
        let rough = span / 6
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        return Array(stride(from: 0, through: span, by: step))
    }

    static func stepTable(_ test: TestResult) -> String {
        let rows = test.steps.enumerated().map { index, step in
            let outcome = step.passed ? "passed" : "failed"
            let failure = step.failure.map { "<pre>\(e($0))</pre>" } ?? ""
            return "<tr>"
                + #"<td class="number">\#(index + 1)</td>"#
                + #"<td class="number">+\#(ReportText.seconds(step.start))</td>"#
                + #"<td class="number">\#(ReportText.seconds(step.duration))</td>"#
                + #"<td class="status \#(outcome)">\#(outcome)</td>"#
                + "<td>\(e(step.title))\(failure)</td>"
                + "</tr>"
        }
        return """
            <table class="steps">
            <thead><tr><th>#</th><th>Offset</th><th>Duration</th><th>Result</th><th>Step</th></tr></thead>
            <tbody>
            \(rows.joined(separator: "\n"))
            </tbody>
            </table>
            """
    }

    /// `passed`, `failed`, `skipped`, or `flaky` for a test that passed on a rerun.
    static func status(_ test: TestResult) -> String {
        test.flaky && test.status == .passed ? "flaky" : test.status.rawValue
    }

    /// Time spent booting and its share of the test's duration: `30.0 s (25%)`.
    static func bootShare(_ test: TestResult) -> String {
        guard test.duration > 0 else { return "–" }
        return ReportText.seconds(test.bootTime) + String(format: " (%.0f%%)", test.bootTime / test.duration * 100)
    }

    /// Links to the test's artifacts directory and the files in it; none for a test that never ran.
    static func artifactLinks(_ test: TestResult) -> String {
        guard test.status != .skipped else { return "–" }
        return [("", test.artifactsDirectory + "/"), ("console.txt", "console"), ("journal.txt", "journal"),
                ("transcript.txt", "transcript")]
            .map { file, label in #"<a href="\#(href(test.artifactsDirectory + "/" + file))">\#(e(label))</a>"# }
            .joined(separator: " ")
    }

    /// A relative path as an `href`: percent-encoded (`:` too, so a first segment never reads as
    /// a URL scheme), then HTML-escaped.
    static func href(_ path: String) -> String {
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: ":"))
        return e(path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path)
    }

    /// `text` HTML-escaped (short, for the many interpolations above).
    static func e(_ text: String) -> String { ReportText.escaped(text) }
}
