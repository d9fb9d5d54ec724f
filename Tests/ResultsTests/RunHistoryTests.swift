import Foundation
@testable import Results
import TestSupport
import Testing
import ToolSupport

/// `STATE/history.jsonl` and `harness history`: what each run appends, and each test's pass
/// rate, flaky count and duration trend over the last runs.
@Suite struct RunHistoryTests {
    func run(at start: TimeInterval, _ tests: [(String, TestResult.Status, Bool, TimeInterval)]) -> RunResult {
        RunResult(startedAt: Date(timeIntervalSince1970: start), duration: 1, image: "/images/x.qcow2", commit: "abc", parallel: 1,
                  tests: tests.map { name, status, flaky, duration in
                      TestResult(name: name, kind: "scenario", status: status, startedAt: Date(timeIntervalSince1970: start),
                                 duration: duration, flaky: flaky, artifactsDirectory: name)
                  })
    }

    func appendFourRuns(to state: String) throws {
        try RunHistory.append(run(at: 1000, [("layering", .passed, false, 200), ("power-cut", .failed, false, 90)]), stateDirectory: state)
        try RunHistory.append(run(at: 2000, [("layering", .passed, false, 180), ("power-cut", .passed, true, 95)]), stateDirectory: state)
        try RunHistory.append(run(at: 3000, [("layering", .passed, false, 220), ("power-cut", .skipped, false, 0)]), stateDirectory: state)
        try RunHistory.append(run(at: 4000, [("layering", .failed, false, 300)]), stateDirectory: state)
    }

    @Test func eachTestsPassRateFlakesAndTrendOverTheRuns() throws {
        let state = try TemporaryDirectory(prefix: "history-")
        defer { state.remove() }
        try appendFourRuns(to: state.path)
        let runs = try RunHistory.load(stateDirectory: state.path, last: 20)
        #expect(runs.map(\.startedAt.timeIntervalSince1970) == [1000, 2000, 3000, 4000])
        let trends = RunHistory.trends(runs)
        #expect(trends.map(\.name) == ["layering", "power-cut"])
        let layering = trends[0], powerCut = trends[1]
        #expect(layering.runs == 4 && layering.passed == 3 && layering.flaky == 0 && layering.passRate == 0.75)
        #expect(layering.durations == [200, 180, 220, 300])
        #expect(layering.lastOverMedian == 1.5, "300 s against the median 200 s of the runs before")
        #expect(powerCut.runs == 2 && powerCut.passed == 1 && powerCut.flaky == 1, "a skip is no run of the test")
        #expect(RunHistory.trends(runs, patterns: ["power-*"]).map(\.name) == ["power-cut"])
    }

    @Test func onlyTheLastRunsAreReadAndALineCutShortIsLeftOut() throws {
        let state = try TemporaryDirectory(prefix: "history-")
        defer { state.remove() }
        try appendFourRuns(to: state.path)
        #expect(try RunHistory.load(stateDirectory: state.path, last: 2).map(\.startedAt.timeIntervalSince1970) == [3000, 4000])
        // A run killed while appending leaves a partial line; the next run's line follows it.
        let handle = try #require(FileHandle(forWritingAtPath: RunHistory.path(stateDirectory: state.path)))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"commit":"abc","startedAt":"#.utf8))
        try handle.close()
        try RunHistory.append(run(at: 5000, [("layering", .passed, false, 210)]), stateDirectory: state.path)
        let runs = try RunHistory.load(stateDirectory: state.path, last: 3)
        #expect(runs.map(\.startedAt.timeIntervalSince1970) == [4000, 5000], "the cut line is left out, the next run kept")
        #expect(try RunHistory.load(stateDirectory: state.path, last: 20).count == 5)
        #expect(try RunHistory.load(stateDirectory: state.path + "/none", last: 20).isEmpty)
    }

    @Test func harnessHistoryPrintsTheTrendsOrSaysThereIsNone() throws {
        let state = try TemporaryDirectory(prefix: "history-")
        defer { state.remove() }
        let empty = try Program.run([HarnessExecutable.path, "history", "--state-dir", state.path])
        #expect(empty.status != 0 && empty.stderr.contains("no run recorded in \(state.path)/history.jsonl"), "\(empty.stderr)")

        try appendFourRuns(to: state.path)
        let text = try Program.run([HarnessExecutable.path, "history", "--state-dir", state.path])
        #expect(text.status == 0, "\(text.stderr)")
        let layering = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("layering") })
        #expect(layering.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                == ["layering", "4", "75%", "0", "300.0", "+50%", "vs", "median"])

        // The last three runs hold power-cut once (passed on a rerun) and skipped once.
        let json = try Program.run([HarnessExecutable.path, "history", "--state-dir", state.path, "--last", "3", "--json", "power-cut"])
        let trends = try JSONDecoder().decode([RunHistory.Trend].self, from: Data(json.stdout.utf8))
        #expect(trends == [RunHistory.Trend(name: "power-cut", runs: 1, passed: 1, flaky: 1, durations: [95])])
    }
}
