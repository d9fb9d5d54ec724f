import Foundation
import TestSupport
import Testing
import ToolSupport

/// `harness bisect` refusing bad input before anything boots or is written: one line naming
/// the option and the commit, a non-zero exit, no output directory.
@Suite struct BisectCommandTests {
    @Test func badCommitsAreRefusedBeforeAnyOutput() throws {
        // The state's repository holds two commits that harness did not compose.
        let repository = try OneCommitRepository(prefix: "bisect-command-", branch: "os/stable")
        defer { repository.remove() }
        let other = try Program.check(["ostree", "commit", "--repo=" + repository.path, "--branch=os/next",
                                       "--tree=dir=" + repository.scratch.path + "/tree", "-s", "next"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let state = repository.scratch.path, output = repository.scratch.path + "/output"
        let cases: [([String], String)] = [
            (["--good", "os/stable", "--bad", repository.commit], "are the same commit \(repository.commit): nothing lies between them"),
            (["--good", "os/stable", "--bad", "os/next"], "--good os/stable: commit \(repository.commit) has no package list"),
            (["--good", other, "--bad", "os/stable"], "--good \(other): commit \(other) has no package list"),
            (["--good", "os/stable", "--bad", "os/missing"], "--bad os/missing: no such ref or commit"),
        ]
        for (arguments, message) in cases {
            let result = try Program.run([HarnessExecutable.path, "bisect", "--state-dir", state, "--output", output]
                                         + arguments + ["ext.harness.mounts"])
            #expect(result.status != 0, "\(arguments)")
            let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(errors.count == 1 && errors[0].contains(message), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output), "\(arguments): nothing written to the output")
        }
    }
}
