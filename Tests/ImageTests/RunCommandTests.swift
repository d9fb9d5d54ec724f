import Foundation
import TestSupport
import Testing
import ToolSupport

/// `harness run` refusing bad input before anything boots or is written: one line naming the
/// option and what is wrong, a non-zero exit, no output directory.
@Suite struct RunCommandTests {
    @Test func badCommitsAndOptionsAreRefusedBeforeAnyOutput() throws {
        let repository = try OneCommitRepository(prefix: "run-command-", branch: "os/stable")
        defer { repository.remove() }
        let state = repository.scratch.path + "/state", output = repository.scratch.path + "/output"
        func run(_ arguments: [String]) throws -> ProgramResult {
            try Program.run([HarnessExecutable.path, "run", "--state-dir", state, "--output", output] + arguments + ["upgrade-rollback"])
        }
        let cases: [([String], String)] = [
            (["--repo", repository.scratch.path + "/none", "--image", "os/stable"], "/none: not an OSTree repository"),
            (["--repo", repository.path, "--image", "os/testing"], "--image os/testing: no such ref or commit in \(repository.path) (refs: os/stable)"),
            (["--repo", repository.path, "--image", "os/stable"], "--image os/stable (commit \(repository.commit.prefix(12))): no kernel"),
            (["--repo", repository.path], "--repo and --image go together"),
            (["--channel", "telnet"], "--channel must be agent or ssh"),
            (["--client", "apt"], "--client must be one of treectl, rpm-ostree, ostree"),
            (["--repo", repository.path, "--image", "os/stable", "--update", "x", "--update-treefile", "y.yaml"], "not both"),
        ]
        for (arguments, message) in cases {
            let result = try run(arguments)
            #expect(result.status != 0, "\(arguments)")
            let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(errors.count == 1 && errors[0].contains(message), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output), "\(arguments): nothing written to the output")
        }
    }
}
