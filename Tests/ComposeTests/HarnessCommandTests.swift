import Foundation
import TestSupport
import Testing
import ToolSupport

/// `harness compose tree` as a user runs it: stdout, stderr, exit status, the compose JSON.
@Suite struct HarnessCommandTests {
    static var harness: String { HarnessExecutable.path }

    @Test func printsTheCommitOnStdoutAndWritesTheComposeJSON() throws {
        let testbed = try ComposeTestbed()
        try testbed.writeTreefile(packages: ["fixture-lib"], extra: "automatic-version-prefix: \"3\"\n")
        let jsonPath = testbed.directory + "/compose.json"
        let arguments = [Self.harness, "compose", "tree", "--repo", testbed.repository, "--cachedir", testbed.cacheDirectory,
                         "--write-composejson-to", jsonPath, testbed.treefilePath]
        let first = try Program.run(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let commit = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(commit.count == 64 && commit.allSatisfy(\.isHexDigit))
        #expect(first.stderr.contains("Resolved 1 packages"))
        #expect(first.stderr.contains("Wrote commit \(commit)"))

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonPath))) as! [String: Any]
        #expect(json["ref"] as? String == "fixture/test")
        #expect(json["commit"] as? String == commit)
        #expect(json["version"] as? String == "3")
        #expect((json["inputhash"] as? String)?.count == 64)
        #expect(json["packages"] as? [String] == ["fixture-lib-1.0-1.noarch"])

        let again = try Program.run(arguments)
        #expect(again.status == 0)
        #expect(again.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == commit)
        #expect(again.stderr.contains("No apparent changes since previous commit"))
    }

    @Test func badInputIsOneErrorLineAndANonZeroExit() throws {
        let testbed = try ComposeTestbed()
        try testbed.writeTreefile(packages: ["fixture-nonexistent"])
        let result = try Program.run([Self.harness, "compose", "tree", "--repo", testbed.repository,
                                      "--cachedir", testbed.cacheDirectory, "-q", testbed.treefilePath])
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("no package provides 'fixture-nonexistent'") == true)
    }

    @Test func printOnlyShowsTheFlattenedTreefile() throws {
        let testbed = try ComposeTestbed()
        try testbed.writeTreefile(packages: ["fixture-lib", "fixture-app"])
        let result = try Program.run([Self.harness, "compose", "tree", "--print-only", testbed.treefilePath])
        #expect(result.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(json["ref"] as? String == "fixture/test")
        #expect(json["packages"] as? [String] == ["fixture-app", "fixture-lib"])
    }
}
