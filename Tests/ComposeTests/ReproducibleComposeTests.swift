@testable import Compose
import Foundation
import OSTree
import TestSupport
import Testing
import ToolSupport

/// `SOURCE_DATE_EPOCH`: the same inputs compose to the same commit in any state directory.
@Suite struct ReproducibleComposeTests {
    /// `harness compose tree` of the testbed's treefile, with `environment` added to harness's.
    private func compose(in testbed: ComposeTestbed, environment: [String: String]) throws -> ProgramResult {
        try Program.run([HarnessExecutable.path, "compose", "tree", "--quiet", "--repo", testbed.repository,
                         "--cachedir", testbed.cacheDirectory, testbed.treefilePath],
                        environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new })
    }

    @Test func twoStateDirectoriesGiveOneCommit() throws {
        let first = try ComposeTestbed(), second = try ComposeTestbed()
        for testbed in [first, second] {
            try testbed.writeTreefile(packages: ["fixture-app", "fixture-base-files", "fixture-post"])
        }
        let epoch = ["SOURCE_DATE_EPOCH": "1700000000"]
        let one = try compose(in: first, environment: epoch)
        sleep(1)
        let two = try compose(in: second, environment: epoch)
        try #require(one.status == 0 && two.status == 0, "\(one.stderr) \(two.stderr)")
        let commit = one.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = two.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if other != commit {
            let diff = try Program.run(["diff", "-r", "--no-dereference", first.checkout(commit), second.checkout(other)])
            Issue.record("the commits differ; their trees: \(diff.stdout.prefix(2000))")
        }
        #expect(try OSTreeRepository.open(at: first.repository).commit(commit).timestamp == 1_700_000_000)

        // Without it, the rpmdb's install times and the commit's timestamp are now's.
        let third = try ComposeTestbed()
        try third.writeTreefile(packages: ["fixture-app", "fixture-base-files", "fixture-post"])
        let unpinned = try compose(in: third, environment: [:])
        #expect(unpinned.status == 0 && unpinned.stdout != one.stdout)

        let bad = try compose(in: third, environment: ["SOURCE_DATE_EPOCH": "yesterday"])
        #expect(bad.status != 0 && bad.stderr.contains("SOURCE_DATE_EPOCH: 'yesterday' is not a count of seconds"), "\(bad.stderr)")
    }
}

/// The input hash names the treefile's files relative to its directory.
@Suite struct InputHashPathTests {
    @Test func pathsAreRelativeToTheTreefile() {
        #expect(InputHash.path("/a/b/post.sh", relativeTo: "/a/b") == "post.sh")
        #expect(InputHash.path("/a/images/x/treefile.yaml", relativeTo: "/a/b/c") == "../../images/x/treefile.yaml")
        #expect(InputHash.path("/etc/x", relativeTo: "/") == "etc/x")
    }
}
