import Foundation
import Machine
import Results

/// What a running test leaves behind: its artifacts directory, `transcript.txt` (every
/// step, command and output, with the time into the test), and the steps and boots that the
/// reports put on a timeline.
final class TestLog {
    let name: String
    /// Absolute; `OUTPUT/NAME`.
    let directory: String
    let start = Date()
    private(set) var steps: [TestResult.Step] = []
    private(set) var boots: [TestResult.Boot] = []
    private let transcript: FileHandle

    init(name: String, directory: String) throws {
        self.name = name
        self.directory = directory
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory + "/transcript.txt", contents: nil)
        guard let handle = FileHandle(forWritingAtPath: directory + "/transcript.txt") else {
            throw ScenarioError("\(directory)/transcript.txt: cannot write")
        }
        transcript = handle
    }

    deinit { try? transcript.close() }

    /// Seconds since the test started.
    var elapsed: TimeInterval { Date().timeIntervalSince(start) }

    /// A line in the transcript, stamped with the time into the test.
    func note(_ text: String) {
        let stamp = String(format: "[%7.1fs] ", elapsed)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let stamped = lines.enumerated().map { index, line in (index == 0 ? stamp : String(repeating: " ", count: stamp.count)) + line }
        transcript.write(Data((stamped.joined(separator: "\n") + "\n").utf8))
    }

    /// Runs `body` as the step `title`: timed, in the transcript, failed if it throws.
    func step<T>(_ title: String, _ body: () throws -> T) throws -> T {
        let begin = elapsed
        note("== " + title)
        do {
            let value = try body()
            steps.append(TestResult.Step(title: title, start: begin, duration: elapsed - begin, passed: true))
            return value
        } catch {
            let failure = String(describing: error)
            note("!! step failed: " + failure)
            steps.append(TestResult.Step(title: title, start: begin, duration: elapsed - begin, passed: false, failure: failure))
            throw error
        }
    }

    /// Runs `body`, a boot of the given kind, and puts it on the timeline when it succeeds.
    func boot(_ kind: TestResult.Boot.Kind, _ body: () throws -> Void) throws {
        let begin = elapsed
        defer { boots.append(TestResult.Boot(kind: kind, start: begin, duration: elapsed - begin)) }
        try body()
        note(String(format: "%@ done in %.1f s", kind.rawValue, elapsed - begin))
    }

    /// The latest boot was a restore of a saved first boot, not a boot.
    func markLatestBootRestored() {
        guard !boots.isEmpty else { return }
        boots[boots.count - 1].kind = .restore
    }

    /// The latest boot's profile, on its timeline entry and in the transcript.
    func profileLatestBoot(_ profile: BootProfile) {
        guard !boots.isEmpty else { return }
        boots[boots.count - 1].profile = profile
        note("boot profile: " + profile.summary)
    }

    /// A command run in the guest and what it did.
    func command(_ command: String, result: GuestCommandResult) {
        var text = "$ " + command
        if !result.stdout.isEmpty { text += "\n" + result.stdout.trimmingCharacters(in: .newlines) }
        if !result.stderr.isEmpty { text += "\n[stderr]\n" + result.stderr.trimmingCharacters(in: .newlines) }
        text += "\n[exit \(result.exitCode)]"
        note(text)
    }

    /// Appends `text` to the artifact `file` (`journal.txt`, `console.txt`).
    func append(_ text: String, to file: String) {
        let path = directory + "/" + file
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
    }
}
