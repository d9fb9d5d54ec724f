import Foundation
import Glibc
import Kola
import ToolSupport

/// Every `harness run` of a state directory, one JSON line each in `STATE/history.jsonl`:
/// what `harness history` reads to give each test's pass rate, flakiness and duration trend
/// over the last runs.
public enum RunHistory {
    /// One run, as the history keeps it: its start, the commit under test, and each test's
    /// outcome (skipped tests are not kept: they say nothing of the test).
    public struct Run: Codable, Sendable, Equatable {
        public var startedAt: Date
        public var commit: String
        public var tests: [Test]

        public struct Test: Codable, Sendable, Equatable {
            public var name: String
            public var passed: Bool
            public var flaky: Bool
            public var duration: TimeInterval
        }

        public init(_ run: RunResult) {
            startedAt = run.startedAt
            commit = run.commit
            tests = run.tests.filter { $0.status != .skipped }.map {
                Test(name: $0.name, passed: $0.status == .passed, flaky: $0.flaky, duration: $0.duration)
            }
        }
    }

    /// A test's record over the runs read, oldest first.
    public struct Trend: Codable, Sendable, Equatable {
        public var name: String
        /// Runs the test ran in (each `--multiply` iteration counts).
        public var runs: Int
        public var passed: Int
        /// Passed only on a rerun (`--rerun-failed`).
        public var flaky: Int
        /// Its durations in seconds, oldest first.
        public var durations: [TimeInterval]

        public var passRate: Double { runs == 0 ? 0 : Double(passed) / Double(runs) }
        /// The last run's duration over the median of the runs before it (1.25: a quarter
        /// slower); nil with fewer than two runs.
        public var lastOverMedian: Double? {
            guard let last = durations.last, durations.count >= 2 else { return nil }
            let earlier = durations.dropLast().sorted()
            let median = earlier.count % 2 == 1 ? earlier[earlier.count / 2]
                : (earlier[earlier.count / 2 - 1] + earlier[earlier.count / 2]) / 2
            return median > 0 ? last / median : nil
        }
    }

    /// The history file of `stateDirectory`.
    public static func path(stateDirectory: String) -> String { stateDirectory + "/history.jsonl" }

    /// Reads at most this much of the file's end: the history grows with every run.
    static let readLimit = 16 << 20

    /// Appends `run` as one line, written with one `write` on a file opened for appending, so
    /// that runs sharing a state directory never interleave their lines. A line left unfinished
    /// (a run killed while appending) is ended first, so that it costs no other run.
    public static func append(_ run: RunResult, stateDirectory: String) throws {
        var line = try JSONOutput.encode(Run(run), pretty: false) + Data("\n".utf8)
        let file = path(stateDirectory: stateDirectory)
        let descriptor = try SystemCallError.check("open for appending", file) { open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644) }
        defer { close(descriptor) }
        var status = stat()
        try SystemCallError.check("stat", file) { fstat(descriptor, &status) }
        var lastByte: UInt8 = 0
        if status.st_size > 0, try SystemCallError.check("read the last byte", file, { pread(descriptor, &lastByte, 1, status.st_size - 1) }) == 1,
           lastByte != UInt8(ascii: "\n") {
            line.insert(UInt8(ascii: "\n"), at: 0)
        }
        let written = try SystemCallError.check("append the run", file) { line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } }
        guard written == line.count else { throw SystemCallError("append the run (short write)", path: file, errno: .noSpace) }
    }

    /// The last `last` runs (oldest first); none when the file does not exist. A line that is
    /// not a run (one cut short by a crash) is left out with a warning naming the file.
    public static func load(stateDirectory: String, last: Int) throws -> [Run] {
        let file = path(stateDirectory: stateDirectory)
        guard let handle = FileHandle(forReadingAtPath: file) else { return [] }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size > UInt64(readLimit) ? size - UInt64(readLimit) : 0)
        var lines = (try handle.readToEnd() ?? Data()).split(separator: UInt8(ascii: "\n"))
        if size > UInt64(readLimit), !lines.isEmpty { lines.removeFirst() }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var runs: [Run] = []
        var unreadable = 0
        for line in lines.suffix(last) {
            if let run = try? decoder.decode(Run.self, from: Data(line)) { runs.append(run) } else { unreadable += 1 }
        }
        if unreadable > 0 { Console.warning("\(file): \(unreadable) line(s) that are not a run left out") }
        return runs
    }

    /// Each test's trend over `runs`, for the tests whose names match one of `patterns`
    /// (every test when there are none), by name.
    public static func trends(_ runs: [Run], patterns: [String] = []) -> [Trend] {
        var trends: [String: Trend] = [:]
        for run in runs {
            for test in run.tests where patterns.isEmpty || patterns.contains(where: { TestNamePattern.matches($0, test.name) }) {
                var trend = trends[test.name] ?? Trend(name: test.name, runs: 0, passed: 0, flaky: 0, durations: [])
                trend.runs += 1
                trend.passed += test.passed ? 1 : 0
                trend.flaky += test.flaky ? 1 : 0
                trend.durations.append(test.duration)
                trends[test.name] = trend
            }
        }
        return trends.values.sorted { $0.name < $1.name }
    }
}
