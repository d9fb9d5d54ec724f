import Foundation
import OSTree
import TestSupport
import Testing
import ToolSupport

/// A warm compose replaces only the packages that changed in the previous tree, and gives
/// exactly the tree a cold compose of the same inputs gives; where scriptlets or triggers
/// would have to run again it assembles every package.
@Suite struct IncrementalComposeTests {
    /// `inc-data` (files in /usr/share/inc/data, /usr/bin and /etc) in two versions: the
    /// second changes a file, drops one, adds a directory and changes its config file.
    static func dataSpec(version: String) -> String {
        let second = version != "1.0"
        return """
            Name: inc-data
            Version: \(version)
            Release: 1
            Summary: changes between composes
            License: MIT
            BuildArch: noarch
            %description
            Files that change.
            %install
            mkdir -p %{buildroot}/usr/share/inc/data %{buildroot}/usr/bin %{buildroot}/etc
            echo 'data \(version)' > %{buildroot}/usr/share/inc/data/a.txt
            \(second ? "mkdir -m 0750 %{buildroot}/usr/share/inc/data/new && echo b > %{buildroot}/usr/share/inc/data/new/b.txt"
                      : "echo old > %{buildroot}/usr/share/inc/data/old.txt")
            printf '#!/bin/sh\\necho \(version)\\n' > %{buildroot}/usr/bin/inc-data
            chmod 0755 %{buildroot}/usr/bin/inc-data
            echo 'setting = \(version)' > %{buildroot}/etc/inc-data.conf
            %files
            %dir /usr/share/inc
            /usr/share/inc/data
            /usr/bin/inc-data
            %config(noreplace) /etc/inc-data.conf
            """
    }

    /// A package that stays the same; its `%post` (a scriptlet of an unchanged package) writes
    /// a file of its own, or with `patches` appends to inc-data's a.txt.
    static func neighbourSpec(patches: Bool) -> String {
        let target = patches ? "/usr/share/inc/data/a.txt" : "/usr/share/inc-neighbour/made-by-post"
        return """
            Name: inc-neighbour
            Version: 1.0
            Release: 1
            Summary: stays
            License: MIT
            BuildArch: noarch
            Requires: inc-data
            %description
            Unchanged between composes.
            %install
            mkdir -p %{buildroot}/usr/share/inc-neighbour
            echo neighbour > %{buildroot}/usr/share/inc-neighbour/file
            %post
            mkdir -p /usr/share/inc-neighbour
            echo patched >> \(target)
            %files
            /usr/share/inc-neighbour
            """
    }

    static let extraSpec = """
        Name: inc-extra
        Version: 1.0
        Release: 1
        Summary: added to the treefile
        License: MIT
        BuildArch: noarch
        %description
        Added by the second compose.
        %install
        mkdir -p %{buildroot}/usr/share/inc
        echo extra > %{buildroot}/usr/share/inc/extra.txt
        %files
        /usr/share/inc/extra.txt
        """

    /// What a `harness compose tree` run wrote.
    struct Composed {
        var commit: String
        /// Whether it assembled from the previous commit's tree (and did not turn to assembling
        /// every package).
        var incremental: Bool
        var stderr: String
    }

    /// `harness compose tree` of `packages` in `testbed` (into `repository`, the testbed's by
    /// default), at a fixed SOURCE_DATE_EPOCH (which librpm reads from the environment for the
    /// rpmdb's install times).
    private func compose(_ testbed: ComposeTestbed, packages: [String], repository: String? = nil) throws -> Composed {
        try testbed.writeTreefile(packages: packages)
        let result = try Program.run([HarnessExecutable.path, "compose", "tree", "--repo", repository ?? testbed.repository,
                                      "--cachedir", testbed.cacheDirectory, testbed.treefilePath],
                                     environment: ProcessInfo.processInfo.environment.merging(["SOURCE_DATE_EPOCH": "1700000000"]) { _, new in new })
        try #require(result.status == 0, "harness compose tree: \(result.stderr)")
        return Composed(commit: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                        incremental: result.stderr.contains("Assembling from the previous tree")
                            && !result.stderr.contains("Assembling every package"), stderr: result.stderr)
    }

    /// Every path of a commit with its checksum (file content and metadata, directory
    /// contents and metadata), as `ostree ls -R -C` lists them.
    private func listing(_ commit: String, in repository: String) throws -> String {
        try Program.check(["ostree", "ls", "--repo=" + repository, "-R", "-C", "-X", commit]).stdout
    }

    /// Composes `first` packages, then swaps inc-data 1.0 for 2.0 and composes `second`
    /// warm; composes `second` cold in a new cache and repository; returns the warm result and
    /// its tree checked out (in the testbed, which keeps it while it lives), and
    /// checks that the two trees are the same (`ostree diff` of the two commits is empty, every
    /// entry lists with the same checksum, and their rpmdbs hold the same packages).
    private func warmAndCold(specs: [String: String], first: [String], second: [String]) throws -> (warm: Composed, tree: String, testbed: ComposeTestbed) {
        let packages = try TemporaryDirectory(prefix: "incremental-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let repository = try FixtureRepository.build(specTexts: specs.merging(["inc-data": Self.dataSpec(version: "1.0")]) { a, _ in a },
                                                     into: packages.path)
        let warmBed = try ComposeTestbed(packages: repository)
        let initial = try compose(warmBed, packages: first)
        #expect(!initial.incremental)

        try FileManager.default.removeItem(atPath: repository.rpmPath("inc-data-1.0-1.noarch"))
        _ = try FixtureRepository.build(specTexts: ["inc-data": Self.dataSpec(version: "2.0")], into: packages.path)
        let warm = try compose(warmBed, packages: second)
        #expect(warm.commit != initial.commit)

        let coldBed = try ComposeTestbed(packages: repository)
        let cold = try compose(coldBed, packages: second)
        #expect(!cold.incremental)

        let target = try OSTreeRepository.open(at: warmBed.repository)
        try target.pullLocal(from: OSTreeRepository.open(at: coldBed.repository), commits: [cold.commit])
        let diff = try Program.check(["ostree", "diff", "--repo=" + warmBed.repository, warm.commit, cold.commit])
        #expect(diff.stdout.isEmpty, "ostree diff of the warm and the cold commit: \(diff.stdout)")
        #expect(try listing(warm.commit, in: warmBed.repository) == listing(cold.commit, in: warmBed.repository))
        let tree = try warmBed.checkout(warm.commit)
        let installed = try warmBed.installedPackages(in: tree)
        #expect(installed.contains("inc-data-2.0-1.noarch") && !installed.contains("inc-data-1.0-1.noarch"))
        #expect(try installed == coldBed.installedPackages(in: coldBed.checkout(cold.commit)))
        return (warm, tree, warmBed)
    }

    @Test func aWarmComposeReplacesOnlyWhatChangedAndGivesTheColdTree() throws {
        let (warm, tree, testbed) = try warmAndCold(specs: ["inc-neighbour": Self.neighbourSpec(patches: false), "inc-extra": Self.extraSpec],
                                              first: ["inc-data", "inc-neighbour"], second: ["inc-data", "inc-neighbour", "inc-extra"])
        #expect(warm.incremental, "one package updated and one added, no scriptlet of theirs, no trigger on them: \(warm.stderr)")
        #expect(try String(contentsOfFile: tree + "/usr/share/inc/data/a.txt", encoding: .utf8) == "data 2.0\n")
        #expect(!FileManager.default.fileExists(atPath: tree + "/usr/share/inc/data/old.txt"))
        #expect(try String(contentsOfFile: tree + "/usr/etc/inc-data.conf", encoding: .utf8) == "setting = 2.0\n")
        #expect(try FileManager.default.attributesOfItem(atPath: tree + "/usr/share/inc/data/new")[.posixPermissions] as? Int == 0o750)
        #expect(FileManager.default.fileExists(atPath: tree + "/usr/share/inc-neighbour/made-by-post"))
        withExtendedLifetime(testbed) {}
    }

    @Test func aPackageWhoseFileAnotherPostChangedIsAssembledAgainInFull() throws {
        let (warm, tree, testbed) = try warmAndCold(specs: ["inc-neighbour": Self.neighbourSpec(patches: true)],
                                              first: ["inc-data", "inc-neighbour"], second: ["inc-data", "inc-neighbour"])
        #expect(!warm.incremental, "inc-neighbour's %post changed inc-data's a.txt: it must run again")
        #expect(warm.stderr.contains("Assembling every package instead: /usr/share/inc/data/a.txt of inc-data-1.0-1.noarch is not as the package shipped it"),
                "\(warm.stderr)")
        #expect(try String(contentsOfFile: tree + "/usr/share/inc/data/a.txt", encoding: .utf8) == "data 2.0\npatched\n")
        withExtendedLifetime(testbed) {}
    }

    @Test func aTriggerOnTheChangedPackageMakesTheComposeAssembleInFull() throws {
        let watcher = """
            Name: inc-watcher
            Version: 1.0
            Release: 1
            Summary: watches /usr/share/inc
            License: MIT
            BuildArch: noarch
            %description
            A file trigger on the changed package's files.
            %install
            mkdir -p %{buildroot}/usr/share/inc-watcher
            echo watcher > %{buildroot}/usr/share/inc-watcher/file
            %transfiletriggerin -- /usr/share/inc/data
            cat > /usr/share/inc-watcher/seen
            %files
            /usr/share/inc-watcher
            """
        let (warm, tree, testbed) = try warmAndCold(specs: ["inc-watcher": watcher], first: ["inc-data", "inc-watcher"],
                                              second: ["inc-data", "inc-watcher"])
        #expect(!warm.incremental, "inc-watcher's file trigger fires on inc-data's files")
        #expect(warm.stderr.contains("Assembling every package instead: a trigger fires on packages that come"), "\(warm.stderr)")
        #expect(try String(contentsOfFile: tree + "/usr/share/inc-watcher/seen", encoding: .utf8).contains("/usr/share/inc/data/new/b.txt"))
        withExtendedLifetime(testbed) {}
    }

    /// A build server composing one ref again and again: each compose leaves its tree in the
    /// package cache for the next one to build on, and once four trees are of no use (no ref
    /// points at them any more) they leave the cache, with the objects only they held; the
    /// newest tree, a tree another repository's ref still points at, and every package stay.
    @Test func oldTreesLeaveThePackageCacheOnceFourAreOfNoUse() throws {
        let packages = try TemporaryDirectory(prefix: "retention-", in: ProcessScratchDirectory.path())
        defer { packages.remove() }
        let fixtures = try FixtureRepository.build(specTexts: ["inc-data": Self.dataSpec(version: "1.0"), "inc-extra": Self.extraSpec],
                                                   into: packages.path)
        let testbed = try ComposeTestbed(packages: fixtures)
        let cache = testbed.cacheDirectory + "/pkgcache-repo"
        // Package sets in turn, so that every compose writes a commit.
        let (a, b, c) = (["inc-data"], ["inc-data", "inc-extra"], ["inc-extra"])
        // The same commit as the first compose below (same inputs, no parent): its record names both places.
        let elsewhere = try compose(testbed, packages: a, repository: testbed.directory + "/other-repo")
        var composed: [Composed] = []
        for set in [a, b, a, b, c] {
            composed.append(try compose(testbed, packages: set))
            #expect(!composed.last!.stderr.contains("Pruning the package cache"), "\(composed.last!.stderr)")
        }
        #expect(composed[0].commit == elsewhere.commit)
        let packageRefs = try OSTreeRepository.open(at: cache).refs(prefix: "harness/pkg")
        // In the trees of set b only: the b trees are of no use once the ref moved on.
        let rpmdb = try rpmdbObject(of: composed[3].commit, in: testbed.repository, cache: cache)
        #expect(FileManager.default.fileExists(atPath: rpmdb))

        let sixth = try compose(testbed, packages: a)
        #expect(sixth.stderr.contains("Pruning the package cache of 4 composed trees no compose builds on"), "\(sixth.stderr)")
        #expect(try OSTreeRepository.open(at: testbed.repository).resolve("fixture/test") == sixth.commit)
        let pruned = try OSTreeRepository.open(at: cache)
        for old in composed.dropFirst() { #expect(!pruned.hasCommit(old.commit), "\(old.commit) stays in the package cache") }
        #expect(pruned.hasCommit(sixth.commit) && pruned.hasCommit(elsewhere.commit))
        #expect(!FileManager.default.fileExists(atPath: rpmdb), "\(rpmdb), only in pruned trees, stays")
        #expect(try pruned.refs(prefix: "harness/composed").count == 2)
        #expect(try pruned.refs(prefix: "harness/pkg") == packageRefs)
        #expect(try Program.run(["ostree", "fsck", "--repo=" + cache]).succeeded)

        // The next compose builds on the newest tree still.
        let seventh = try compose(testbed, packages: b)
        #expect(seventh.incremental, "\(seventh.stderr)")
        #expect(try listing(seventh.commit, in: testbed.repository) == listing(composed[3].commit, in: testbed.repository))
    }

    /// Where the object of the rpmdb in `commit`'s tree (in `repository`) is in the bare
    /// repository `cache`.
    private func rpmdbObject(of commit: String, in repository: String, cache: String) throws -> String {
        let line = try #require(try listing(commit, in: repository).split(separator: "\n").first { $0.hasSuffix("/rpmdb.sqlite") })
        let checksum = String(try #require(line.split(separator: " ").first { $0.count == 64 }))
        return "\(cache)/objects/\(checksum.prefix(2))/\(checksum.dropFirst(2)).file"
    }
}
