import Compose
import Foundation
import TestSupport
import Testing
import ToolSupport

/// Composes of an exact package set (`ComposeOptions.packageSet`, what `harness bisect`
/// composes its candidates with): every package from the cache, the set checked by the solver.
@Suite struct PinnedComposeTests {
    /// The testbed after composing fixture-app 1.0, then 2.0 once the repository moved on.
    private func composedTwice() throws -> (testbed: ComposeTestbed, first: ComposeResult, second: ComposeResult, packages: TemporaryDirectory) {
        let packages = try TemporaryDirectory(prefix: "fixtures-", in: ProcessScratchDirectory.path())
        let repository = try FixtureRepository.build(specs: ["fixture-app-1.0", "fixture-lib"], into: packages.path)
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["fixture-app"])
        let first = try testbed.compose()
        try FileManager.default.removeItem(atPath: repository.rpmPath("fixture-app-1.0-1.noarch"))
        _ = try FixtureRepository.build(specs: ["fixture-app-2.0"], into: packages.path)
        let second = try testbed.compose()
        return (testbed, first, second, packages)
    }

    private func pinned(_ testbed: ComposeTestbed, _ packages: [String], dryRun: Bool = false) throws -> ComposeResult {
        var options = ComposeOptions(repository: testbed.repository, cacheDirectory: testbed.cacheDirectory)
        options.ref = "fixture/pinned"
        options.packageSet = packages
        options.dryRun = dryRun
        return try Composer(options: options).compose(treefilePath: testbed.treefilePath)
    }

    /// The first compose's packages, gone from the repository, compose again from the cache,
    /// to a tree holding exactly them and with the first compose's input hash.
    @Test func anEarlierPackageSetComposesFromTheCache() throws {
        let (testbed, first, second, packages) = try composedTwice()
        defer { packages.remove() }
        #expect(second.packages.contains("fixture-app-2.0-1.noarch"))
        let again = try pinned(testbed, first.packages)
        #expect(again.changed)
        #expect(again.ref == "fixture/pinned")
        #expect(again.packages == first.packages)
        #expect(again.inputhash == first.inputhash, "same treefile, same packages, same inputs")
        #expect(try testbed.installedPackages(in: testbed.checkout(again.commit))
            == (["fixtureos-base-1-0.harness.x86_64"] + first.packages).sorted())
        #expect(try String(contentsOfFile: testbed.checkout(again.commit) + "/usr/share/fixture/app-version", encoding: .utf8)
            .hasPrefix("1.0"))
        #expect(try testbed.refs()["fixture/test"] == second.commit, "the treefile's ref stays where it was")
        #expect(try pinned(testbed, first.packages, dryRun: true).inputhash == first.inputhash)
    }

    @Test func aPackageNotInTheCacheIsNamed() throws {
        let (testbed, first, _, packages) = try composedTwice()
        defer { packages.remove() }
        let error = #expect(throws: ComposeError.self) {
            try pinned(testbed, first.packages.filter { !$0.hasPrefix("fixture-app") } + ["fixture-app-9.9-1.noarch"])
        }
        #expect(error?.message.contains("fixture-app-9.9-1.noarch is not in the package cache") == true, "\(String(describing: error))")
        #expect(try testbed.refs()["fixture/pinned"] == nil)
    }

    @Test func aSetMissingADependencyDoesNotCompose() throws {
        let (testbed, first, _, packages) = try composedTwice()
        defer { packages.remove() }
        let error = #expect(throws: ComposeError.self) {
            try pinned(testbed, first.packages.filter { !$0.hasPrefix("fixture-lib") })
        }
        #expect(error?.message.contains("does not hold together") == true, "\(String(describing: error))")
        #expect(error?.message.contains("fixture-lib") == true || error?.message.contains("fixture-virtual-capability") == true)
        #expect(try testbed.refs()["fixture/pinned"] == nil)
    }
}
