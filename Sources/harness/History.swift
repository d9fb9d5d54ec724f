import ArgumentParser
import Foundation
import Results
import Scenarios
import ToolSupport

/// `harness history`: each test's record over the last runs of a state directory.
struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each test's pass rate, flaky count and duration trend over the last runs.",
        discussion: """
            Every harness run appends its results to STATE/history.jsonl (skipped tests left \
            out). The trend is the last run's duration against the median of the runs before it.
            """)

    @OptionGroup var state: StateOptions

    @Argument(help: "Test names or globs (default: every test in the history).")
    var patterns: [String] = []

    @Option(help: "How many of the last runs to read.")
    var last = 20

    @Flag(help: "Print JSON on stdout.")
    var json = false

    func validate() throws {
        guard last >= 1 else { throw ValidationError("--last must be at least 1") }
    }

    func run() throws {
        let runs = try RunHistory.load(stateDirectory: state.path, last: last)
        let trends = RunHistory.trends(runs, patterns: patterns)
        if json {
            try JSONOutput.print(trends)
            return
        }
        guard !trends.isEmpty else {
            let path = RunHistory.path(stateDirectory: state.path)
            throw ValidationError(runs.isEmpty ? "no run recorded in \(path)" : "no test in the last \(runs.count) run(s) matches \(patterns.joined(separator: ", "))")
        }
        let width = max(4, trends.map(\.name.count).max() ?? 0)
        print("test".padding(toLength: width, withPad: " ", startingAt: 0) + "  runs  passed  flaky  last (s)  trend")
        for trend in trends {
            let rate = String(format: "%5.0f%%", trend.passRate * 100)
            let last = trend.durations.last.map { String(format: "%8.1f", $0) } ?? ""
            let change = trend.lastOverMedian.map { String(format: "%+.0f%% vs median", ($0 - 1) * 100) } ?? "-"
            print(trend.name.padding(toLength: width, withPad: " ", startingAt: 0)
                  + String(format: "  %4d  ", trend.runs) + rate + String(format: "  %5d  ", trend.flaky) + last + "  " + change)
        }
        Console.progress("\(runs.count) run(s) read from \(RunHistory.path(stateDirectory: state.path))")
    }
}
