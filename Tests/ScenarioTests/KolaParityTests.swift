import Foundation
@testable import Kola
@testable import Scenarios
import TestSupport
import Testing
import ToolSupport

/// Where harness once ran kola tests differently from kola (`mantle/kola/harness.go`), on the
/// committed tree `Tests/Fixtures/kola-parity`, which uses every key concerned.
@Suite struct KolaParityTests {
    static let tree = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/kola-parity").standardizedFileURL.path

    func found() throws -> ExternalTestDiscovery.Found {
        try ExternalTestDiscovery.discover(in: Self.tree)
    }

    func test(_ name: String) throws -> ExternalTest {
        let tests = try found().tests
        return try #require(tests.first { $0.name == "ext.kola-parity." + name }, "no \(name) in \(tests.map(\.name))")
    }

    /// `harness list -E TREE --json`, as a user runs it: the entries by name, and stderr.
    func list(_ arguments: String...) throws -> (entries: [String: [String: Any]], stderr: String) {
        let result = try Program.run([HarnessExecutable.path, "list", "-E", Self.tree, "--json"] + arguments)
        try #require(result.status == 0, "harness list: \(result.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        return (Dictionary(uniqueKeysWithValues: array.map { ($0["name"] as? String ?? "", $0) }), result.stderr)
    }

    @Test func listShowsWhatKolaWouldLeaveOutAndWhy() throws {
        let (entries, _) = try list()
        func skip(_ name: String) -> String? { entries["ext.kola-parity." + name]?["skip"] as? String }
        #expect(entries.count == 11, "\(entries.keys.sorted())")
        if KolaTarget.hostArchitecture == "x86_64" {
            #expect(skip("binfmt.qemu") == "architectures '!x86_64': this host is x86_64")
        }
        #expect(skip("clouds") == "platforms 'aws gcp': this run is on qemu")
        #expect(skip("fcos-only") == "distros 'fcos': this run names no distribution (--distro)")
        #expect(skip("special") == "requiredTag 'special': runs with --tag special, or when named")
        for name in ["not-rhcos", "kdump.crash", "disks", "nics", "sharing.quick", "sharing.own-machine", "described"] {
            #expect(skip(name) == nil, "\(name) runs on qemu")
        }
        // Every external test is tagged `external`, first, as kola tags it.
        #expect(entries.values.allSatisfy { ($0["tags"] as? [String])?.first == "external" })
        #expect(entries["ext.kola-parity.kdump.crash"]?["tags"] as? [String] == ["external", "skip-base-checks", "needs-internet"])
        // A YAML block scalar keeps its line breaks.
        #expect(entries["ext.kola-parity.described"]?["description"] as? String
                == "First line of a description.\nSecond line, kept as a line of its own.\n")

        let (withDistro, _) = try list("--distro", "fcos")
        #expect(withDistro["ext.kola-parity.fcos-only"]?["skip"] == nil)
        #expect(withDistro["ext.kola-parity.not-rhcos"]?["skip"] == nil)
        let (rhcos, _) = try list("--distro", "rhcos")
        #expect(rhcos["ext.kola-parity.not-rhcos"]?["skip"] as? String == "distros '!rhcos': this run's distribution is rhcos")
    }

    @Test func listWarnsOnceForEachKeyItCannotHonourNamingTheTest() throws {
        let (_, stderr) = try list()
        for key in ["additionalNics", "appendFirstbootKernelArgs", "primaryDisk"] {
            #expect(stderr.contains("ext.kola-parity.nics: kola key '\(key)' is not honoured by harness run"), "\(key): \(stderr)")
        }
        for (disk, option) in [("5G:mpath", "mpath"), ("1G:serial=disk1", "serial=disk1"), ("375G:channel=nvme", "channel=nvme")] {
            #expect(stderr.contains("ext.kola-parity.disks: additionalDisks '\(disk)': '\(option)' is not honoured"), "\(disk): \(stderr)")
        }
        #expect(!stderr.contains("'2G'"), "a plain size is honoured")
        #expect(stderr.contains("sharing/helper.sh: starts with #! but is not executable"), "\(stderr)")
        #expect(!stderr.contains("'minDisk'"), "minDisk sizes the boot disk")
        #expect(stderr.split(separator: "\n").filter { $0.contains("not honoured") }.count == 6, "\(stderr)")
    }

    /// `harness run -E TREE` on a simulated guest whose every boot has a failed unit: the tests
    /// kola leaves out are skips with the reason; `skip-base-checks` lets its test pass;
    /// `minDisk` sizes the boot disk.
    @Test func aRunSkipsWhatKolaLeavesOutAndSkipBaseChecksTurnsTheChecksOff() throws {
        let state = try ScenarioRunnerTests.State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.ostree], upgradeCommit: nil)
        guest.failingUnit = (state.repository.commit, "broken.service", "broken: failing on purpose")
        let launches = ScenarioRunnerTests.Launches()
        let environment = try state.environment(guest: guest, launch: launches.launcher(guest: guest))
        defer { environment.finish() }
        let names = ["binfmt.qemu", "clouds", "fcos-only", "special", "kdump.crash", "sharing.own-machine", "nics"]
        let entries = try names.map { TestEntry.external(try test($0)) }
        var options = RunOptions()
        options.kolaTarget = KolaTarget(architecture: "x86_64")
        let results = Dictionary(uniqueKeysWithValues: TestScheduler(environment: environment, options: options).run(entries)
            .map { ($0.name.replacingOccurrences(of: "ext.kola-parity.", with: ""), $0) })
        #expect(results["binfmt.qemu"]?.skipReason == "architectures '!x86_64': this host is x86_64")
        #expect(results["clouds"]?.status == .skipped && results["fcos-only"]?.status == .skipped)
        #expect(results["special"]?.skipReason == "requiredTag 'special': runs with --tag special, or when named")
        #expect(results["kdump.crash"]?.status == .passed, "\(results["kdump.crash"]?.failure ?? "")")
        #expect(results["sharing.own-machine"]?.failure?.contains("failed units: broken.service") == true,
                "\(results["sharing.own-machine"]?.failure ?? "")")
        // minDisk: 15 sizes the boot disk of its test's machine, and only that one.
        #expect(launches.diskSizes == [nil, nil, 15 << 30])
    }

    @Test func requiredTagRunsWhenAskedForByTagOrByName() throws {
        let special = try test("special")
        #expect(KolaTarget().skipReason(for: special) != nil)
        #expect(KolaTarget(tags: ["special"]).skipReason(for: special) == nil)
        #expect(KolaTarget(patterns: ["ext.kola-parity.special"]).skipReason(for: special) == nil)
        // kola matches --tag against the test's tags too, `external` among them.
        #expect(KolaTarget(tags: ["external"]).skipReason(for: special) == nil)
        #expect(KolaTarget(tags: ["other"]).skipReason(for: special) != nil)
        // And --tag special selects it although it does not carry the tag.
        let catalog = TestCatalog(entries: try found().tests.map(TestEntry.external))
        #expect(try catalog.select(patterns: [], tags: ["special"]).map(\.name) == ["ext.kola-parity.special"])
    }

    @Test func architecturesAndPlatformsAreListsOrExclusions() {
        #expect(KolaScope("! x86_64") == KolaScope(names: ["x86_64"], excludes: true))
        #expect(KolaScope("") == nil)
        #expect(KolaScope("x86_64 aarch64")?.admits("aarch64") == true)
        #expect(KolaScope("x86_64 aarch64")?.admits("s390x") == false)
        #expect(KolaScope("!s390x ppc64le")?.admits("x86_64") == true)
        #expect(KolaScope("!s390x ppc64le")?.admits("ppc64le") == false)
        // kola compares an unnamed distribution with the list as the empty string.
        #expect(KolaScope("fcos")?.admits(nil) == false)
        #expect(KolaScope("!rhcos")?.admits(nil) == true)
        let onArm = KolaTarget(architecture: "aarch64")
        #expect(onArm.skipReason(for: ExternalTest(name: "t", executable: "/t", directory: "/", metadata:
            ExternalTestMetadata(architectures: KolaScope("! x86_64")))) == nil)
    }

    @Test func timeoutsAreKolasDefaultsUnlessGiven() throws {
        #expect(try test("sharing.quick").metadata.timeout == 60, "a test sharing a machine: 1 minute")
        #expect(try test("sharing.own-machine").metadata.timeout == 600, "a test with a machine of its own: 10 minutes")
        #expect(try test("kdump.crash").metadata.timeout == 15 * 60)
    }

    @Test func aDirectoryWithoutTestsKolaHoldsNoTests() throws {
        let fixture = try KolaFixtureDirectory()
        try fixture.script("checkout/tests/unit/run.sh")
        try fixture.script("checkout/tool")
        let found = try ExternalTestDiscovery.discover(in: fixture.path + "/checkout")
        #expect(found.tests.isEmpty)
        #expect(found.warnings == ["\(fixture.path)/checkout: no tests/kola directory, so no tests (kola run -E looks only there)"])
    }

    @Test func oneNameInTwoDirectoriesIsAnErrorNamingBoth() throws {
        let fixture = try KolaFixtureDirectory()
        let first = try fixture.script("a/proj/tests/kola/basic/test.sh")
        let second = try fixture.script("b/proj/tests/kola/basic/test.sh")
        let layout = ProjectLayout(root: fixture.path)
        let error = try #require(throws: KolaFileError.self) {
            try TestCatalog.load(project: layout, externalDirectories: [fixture.path + "/a/proj", fixture.path + "/b/proj"])
        }
        #expect(error == KolaFileError(file: second, "test name 'ext.proj.basic' is also the name of \(first)"))
    }
}
