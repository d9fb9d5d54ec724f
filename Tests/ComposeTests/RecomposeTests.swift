import Compose
import Foundation
import TestSupport
import Testing
import ToolSupport

/// Change detection and the package cache across composes.
@Suite struct RecomposeTests {
    @Test func unchangedInputsWriteNoCommitAndKeepTheRef() throws {
        let testbed = try ComposeTestbed()
        try testbed.writeTreefile(packages: ["fixture-app"])
        let first = try testbed.compose()
        #expect(first.changed)
        let second = try testbed.compose()
        #expect(!second.changed)
        #expect(second.commit == first.commit)
        #expect(second.inputhash == first.inputhash)
        #expect(second.imported.isEmpty)
        #expect(try testbed.refs()["fixture/test"] == first.commit)

        let forced = try testbed.compose(forceNoCache: true)
        #expect(forced.changed)
        #expect(forced.commit != first.commit)
        #expect(forced.imported.isEmpty, "a forced recompose still takes every package from the cache")
    }

    @Test func oneChangedPackageIsTheOnlyOneImportedAgain() throws {
        let packages = try TemporaryDirectory(prefix: "fixtures-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let repository = try FixtureRepository.build(
            specs: ["fixture-app-1.0", "fixture-lib", "fixture-base-files", "fixture-post"], into: packages.path)
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["fixture-app", "fixture-base-files", "fixture-post"])
        let first = try testbed.compose()
        #expect(first.packages.contains("fixture-app-1.0-1.noarch"))
        #expect(first.imported.count == 4)

        _ = try FixtureRepository.build(specs: ["fixture-app-2.0"], into: packages.path)
        let second = try testbed.compose()
        #expect(second.changed)
        #expect(second.packages.contains("fixture-app-2.0-1.noarch"))
        #expect(second.imported == ["fixture-app-2.0-1.noarch"])
        #expect(second.inputhash != first.inputhash)
    }

    @Test func aRebuiltPackageWithTheSameNEVRAChangesTheInputHash() throws {
        let packages = try TemporaryDirectory(prefix: "fixtures-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let repository = try FixtureRepository.build(specs: ["fixture-lib"], into: packages.path)
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["fixture-lib"])
        let first = try testbed.compose()
        let before = try Digest.sha256(file: repository.rpmPath("fixture-lib-1.0-1.noarch"))

        // rpmbuild stamps the build time into the header: the same NEVRA, another file.
        sleep(1)
        _ = try FixtureRepository.build(specs: ["fixture-lib"], into: packages.path)
        #expect(try Digest.sha256(file: repository.rpmPath("fixture-lib-1.0-1.noarch")) != before)
        let second = try testbed.compose()
        #expect(second.changed)
        #expect(second.packages == first.packages)
        #expect(second.inputhash != first.inputhash)
        #expect(second.imported == ["fixture-lib-1.0-1.noarch"])
    }

    @Test func aPackageWithAnExplicitEpochZeroComesFromTheCacheTheSecondTime() throws {
        let packages = try TemporaryDirectory(prefix: "fixtures-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let spec = """
            Name: epoch-zero
            Epoch: 0
            Version: 1.0
            Release: 1
            Summary: explicit epoch 0
            License: MIT
            BuildArch: noarch
            %description
            Its header's EVR is 0:1.0-1.
            %install
            mkdir -p %{buildroot}/usr/share/epoch-zero
            echo zero > %{buildroot}/usr/share/epoch-zero/file
            %files
            /usr/share/epoch-zero
            """
        let repository = try FixtureRepository.build(specTexts: ["epoch-zero": spec], into: packages.path)
        let testbed = try ComposeTestbed(packages: repository)
        try testbed.writeTreefile(packages: ["epoch-zero"])
        #expect(try testbed.compose().imported == ["epoch-zero-1.0-1.noarch"])
        let again = try testbed.compose(forceNoCache: true)
        #expect(again.changed)
        #expect(again.imported.isEmpty, "the cache keeps it under 0:1.0-1, and finds it there")
    }

    @Test func automaticVersionCountsUpFromThePreviousCommit() throws {
        let testbed = try ComposeTestbed()
        try testbed.writeTreefile(packages: ["fixture-lib"], extra: "automatic-version-prefix: \"40\"\n")
        #expect(try testbed.compose().version == "40")
        #expect(try testbed.compose(forceNoCache: true).version == "40.1")
        #expect(try testbed.compose(forceNoCache: true).version == "40.2")
    }
}

/// `base:` naming a ref composed before: packages go on top, the rpmdb grows.
@Suite struct BaseRefTests {
    @Test func packagesLayerOnAnEarlierComposeAndTheDatabaseKeepsItsPackages() throws {
        let testbed = try ComposeTestbed()
        try testbed.writeTreefile(packages: ["fixture-lib"], ref: "fixture/base")
        let base = try testbed.compose()
        let treefile = "ref: fixture/derived\nbase: fixture/base\nrepos: [fixtures]\npackages: [fixture-app]\n"
        try treefile.write(toFile: testbed.treefilePath, atomically: true, encoding: .utf8)
        let derived = try testbed.compose()
        #expect(derived.packages == ["fixture-app-2.0-1.noarch"], "fixture-lib is already in the base")
        let tree = try testbed.checkout(derived.commit)
        #expect(try testbed.installedPackages(in: tree) == ["fixture-app-2.0-1.noarch", "fixture-lib-1.0-1.noarch",
                                                            "fixtureos-base-1-0.harness.x86_64"])
        #expect(FileManager.default.fileExists(atPath: tree + "/usr/lib/fixture/lib.txt"))
        #expect(try testbed.refs()["fixture/base"] == base.commit)
    }
}

/// `base:` naming a script: run once, cached by the script's hash.
@Suite struct BaseRecipeTests {
    @Test func theRecipeRunsOnceAndItsArchiveBecomesTheBase() throws {
        let testbed = try ComposeTestbed()
        let runs = testbed.directory + "/recipe-runs"
        let recipe = """
            #!/bin/sh
            set -e
            echo run >> \(runs)
            cp \(testbed.directory)/base.tar.gz "$1"

            """
        let recipePath = testbed.directory + "/build-base.sh"
        try recipe.write(toFile: recipePath, atomically: true, encoding: .utf8)
        chmod(recipePath, 0o755)
        let treefile = "ref: fixture/recipe\nbase: build-base.sh\nrepos: [fixtures]\npackages: [fixture-post]\n"
        try treefile.write(toFile: testbed.treefilePath, atomically: true, encoding: .utf8)
        let first = try testbed.compose()
        let tree = try testbed.checkout(first.commit)
        #expect(FileManager.default.fileExists(atPath: tree + "/usr/share/fixture/post-ran"), "the recipe's busybox ran %post")
        _ = try testbed.compose(forceNoCache: true)
        #expect(try String(contentsOfFile: runs, encoding: .utf8) == "run\n", "the second compose used the cached archive")
    }

    @Test func aFailingRecipeFailsTheComposeNamingIt() throws {
        let testbed = try ComposeTestbed()
        let recipePath = testbed.directory + "/broken.sh"
        try "#!/bin/sh\nexit 4\n".write(toFile: recipePath, atomically: true, encoding: .utf8)
        chmod(recipePath, 0o755)
        try "ref: fixture/recipe\nbase: broken.sh\nrepos: [fixtures]\npackages: [fixture-lib]\n"
            .write(toFile: testbed.treefilePath, atomically: true, encoding: .utf8)
        let message = try #require(errorText { _ = try testbed.compose() })
        #expect(message.contains("broken.sh failed with exit status 4"))
        #expect(try testbed.refs().isEmpty)
    }
}
