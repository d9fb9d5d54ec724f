import Foundation
import ImageBuild
import Machine
import Results
@testable import Scenarios
import TestSupport
import Testing
import ToolSupport

/// The scenario runner and the scheduler on a simulated guest (`FakeOSTreeGuest`): the
/// client-agnostic steps, the booted checks, client detection, and the default-image tag.
/// The state's repository and the update disks are real.
@Suite struct ScenarioRunnerTests {
    /// A state directory whose repository has the image's commit and an update on one ref.
    final class State {
        let repository: OneCommitRepository
        let update: String
        var path: String { repository.scratch.path }
        static let ref = "fake/x86_64/os"

        init() throws {
            repository = try OneCommitRepository(prefix: "runner-tests-", branch: Self.ref)
            let tree = repository.scratch.path + "/tree2"
            try FileManager.default.createDirectory(atPath: tree + "/usr/share", withIntermediateDirectories: true)
            try "2\n".write(toFile: tree + "/usr/share/version", atomically: true, encoding: .utf8)
            update = try Program.check(["ostree", "commit", "--repo=" + repository.path, "--branch=" + Self.ref, "--tree=dir=" + tree])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        deinit { repository.remove() }

        func environment(guest: FakeOSTreeGuest, client: GuestClient? = nil, imageIsDefault: Bool = false,
                         restoresFirstBoots: Bool = true, launch: MachineLauncher? = nil) throws -> RunEnvironment {
            try FileManager.default.createDirectory(atPath: path + "/out", withIntermediateDirectories: true)
            var image = TestImage(ref: Self.ref, commit: repository.commit)
            image.path = path + "/image.qcow2"
            return try RunEnvironment(project: ProjectLayout(root: TestPaths.packageRoot), stateDirectory: path, image: image,
                                      outputDirectory: path + "/out", connectURI: nil, keepFailed: false, client: client,
                                      imageIsDefault: imageIsDefault, update: update, restoresFirstBoots: restoresFirstBoots,
                                      launch: launch ?? { _ in FakeMachine(guest: guest) })
        }
    }

    private func scenario(_ yaml: String, tags: [String] = []) throws -> Scenario {
        let fixture = try KolaFixtureDirectory()
        return try Scenario.load(try fixture.write("test.yaml", "description: test\ntags: [\(tags.joined(separator: ", "))]\nsteps:\n" + yaml))
    }

    /// What the scenario runner asked of the machines it launched.
    final class Launches: @unchecked Sendable {
        private let lock = NSLock()
        private var restores: [Bool] = []
        private var machines: [FakeMachine] = []
        private var sizes: [UInt64?] = []
        var askedToRestore: [Bool] { lock.withLock { restores } }
        /// The boot disk sizes asked for (`SpawnOptions.diskSize`), one per launch.
        var diskSizes: [UInt64?] { lock.withLock { sizes } }
        var keptFirstBoots: [Int] { lock.withLock { machines.map(\.keptFirstBoots) } }

        /// A launcher whose machines play restored ones when asked to restore.
        func launcher(guest: FakeOSTreeGuest) -> MachineLauncher {
            { options in
                let machine = FakeMachine(guest: guest)
                if options.restore { machine.restoredFrom = "/state/saved-boots/key/0" }
                self.lock.withLock {
                    self.restores.append(options.restore)
                    self.sizes.append(options.diskSize)
                    self.machines.append(machine)
                }
                return machine
            }
        }
    }

    /// A test's first boot of the image asks for a restore of its saved first boot, unless the
    /// run says `--no-restore` or the test is tagged `first-boot`; a restored boot is marked on
    /// the timeline and has no profile (its guest remembers the saved boot); once checked, every
    /// first boot is offered to the machine to keep (to save, when it booted for real); the
    /// reboots that follow are real.
    @Test(arguments: [(true, [String]()), (false, []), (true, ["first-boot"])])
    func firstBootsAreRestoredUnlessTheRunOrTheTestSaysNo(restoresFirstBoots: Bool, tags: [String]) throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.treectl], upgradeCommit: state.update)
        let launches = Launches()
        let environment = try state.environment(guest: guest, restoresFirstBoots: restoresFirstBoots,
                                                launch: launches.launcher(guest: guest))
        let result = run(try scenario("  - boot\n  - reboot\n", tags: tags), in: environment)
        #expect(result.status == .passed, "\(result.failure ?? "")")
        let restored = restoresFirstBoots && tags.isEmpty
        #expect(launches.askedToRestore == [restored])
        #expect(result.boots.map(\.kind) == [restored ? .restore : .boot, .reboot])
        #expect((result.boots.first?.profile == nil) == restored, "a restored boot has no profile of its own")
        #expect(result.boots.last?.profile != nil)
        #expect(launches.keptFirstBoots == [2], "asked after the boot and after the reboot (a machine keeps only a first boot)")
    }

    /// Runs `scenario` as `harness run` would; returns the result.
    private func run(_ scenario: Scenario, in environment: RunEnvironment) -> TestResult {
        defer { environment.finish() }
        return TestExecution(environment: environment).run(.scenario(scenario))
    }

    private static let upgradeAndRollBack = """
          - boot
          - booted: image
          - deliver: update
          - upgrade
          - reboot
          - booted: update
          - rollback
          - reboot
          - booted: image
        """

    @Test(arguments: [GuestClient.treectl, .rpmOstree, .ostree])
    func anUpdateIsDeliveredBootedAndRolledBackWithTheGuestsClient(client: GuestClient) throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [client], upgradeCommit: state.update)
        let result = run(try scenario(Self.upgradeAndRollBack), in: try state.environment(guest: guest))
        #expect(result.status == .passed, "\(result.failure ?? "")")
        #expect(guest.commands.contains(client.upgrade) && guest.commands.contains(client.rollback))
        #expect(guest.commands.contains(client.statusJSON ?? "ostree admin status"))
        #expect(guest.boots == 3)
        #expect(result.boots.count == 3 && result.boots.allSatisfy { $0.profile?.initramfs != nil },
                "every boot's profile is on the timeline: \(result.boots)")
        #expect(guest.bootedDeployment.commit == state.repository.commit)
        #expect(guest.commands.contains { $0.contains("mount -o ro,noload LABEL=\(UpdateDisk.label)") },
                "the update disk is mounted where the image's remote pulls from")
    }

    @Test func anUpgradeThatDeploysNothingFailsTheBootedCheck() throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.ostree], upgradeCommit: nil)
        let result = run(try scenario(Self.upgradeAndRollBack), in: try state.environment(guest: guest))
        #expect(result.status == .failed)
        let failure = result.failure ?? ""
        #expect(failure.contains("booted into \(state.repository.commit.prefix(12)), expected update (\(state.update.prefix(12)))"), "\(failure)")
        #expect(result.steps.last?.title == "booted: update" && result.steps.last?.passed == false)
    }

    @Test func anUpdateWhoseUnitFailsAtBootFailsQuotingTheUnitsJournal() throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.ostree], upgradeCommit: state.update)
        guest.failingUnit = (state.update, "broken.service", "broken: failing on purpose")
        let result = run(try scenario(Self.upgradeAndRollBack), in: try state.environment(guest: guest))
        let failure = result.failure ?? ""
        #expect(failure.contains("boot 2 ended 'degraded'; failed units: broken.service"), "\(failure)")
        #expect(failure.contains("broken.service: broken: failing on purpose"), "\(failure)")
        #expect(result.steps.last?.title == "reboot")
    }

    @Test func theShippedKargsScenarioRunsWithPlainOstree() throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.ostree], upgradeCommit: nil)
        let kargs = try Scenario.load(TestPaths.packageRoot + "/scenarios/kargs.yaml")
        let result = run(kargs, in: try state.environment(guest: guest))
        #expect(result.status == .passed, "\(result.failure ?? "")")
        let deploy = guest.commands.first { $0.contains("ostree admin deploy") && $0.contains("--karg-append='harness.scenario=kargs'") }
        #expect(deploy != nil, "the argument goes into a new deployment: \(guest.commands)")
        #expect(!guest.bootedDeployment.kargs.contains("harness.scenario=kargs"), "rolled back")
    }

    @Test func theRunsClientWinsOverTheOneTheGuestHas() throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.treectl, .ostree], upgradeCommit: state.update)
        let result = run(try scenario(Self.upgradeAndRollBack), in: try state.environment(guest: guest, client: .ostree))
        #expect(result.status == .passed, "\(result.failure ?? "")")
        #expect(guest.commands.contains("ostree admin upgrade") && !guest.commands.contains("treectl upgrade"))
        #expect(!guest.commands.contains(GuestClient.detection), "no detection when the run names the client")
    }

    @Test func aGuestWithoutAClientFailsNamingThem() throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [], upgradeCommit: state.update)
        let result = run(try scenario("  - boot\n  - upgrade\n"), in: try state.environment(guest: guest))
        #expect(result.failure?.contains("none of treectl, rpm-ostree, ostree") == true, "\(result.failure ?? "")")
    }

    @Test func scenariosForTheDefaultImageAreSkippedOnAnother() throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.ostree], upgradeCommit: nil)
        let catalog = try TestCatalog.load(project: ProjectLayout(root: TestPaths.packageRoot))
        let selection = try catalog.select(patterns: ["layering", "kargs"], tags: [])
        let environment = try state.environment(guest: guest)
        defer { environment.finish() }
        let results = TestScheduler(environment: environment, options: RunOptions()).run(selection)
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0) })
        #expect(byName["layering"]?.status == .skipped)
        #expect(byName["layering"]?.skipReason?.contains("needs the default image") == true)
        #expect(byName["kargs"]?.status == .passed, "\(byName["kargs"]?.failure ?? "")")
    }

    /// Rerun and multiply on fakes: a test failing once passes on its rerun and is flaky; each
    /// of `--multiply` runs is a result of its own.
    @Test func aTestFailingOnceIsFlakyAndMultipliedRunsAreResultsOfTheirOwn() throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.ostree], upgradeCommit: nil)
        guest.failuresLeft["check-something"] = 1
        let environment = try state.environment(guest: guest)
        defer { environment.finish() }
        let flaky = TestEntry.scenario(try scenario("  - boot\n  - run: check-something\n"))
        var options = RunOptions()
        options.rerunFailed = 1
        let rerun = TestScheduler(environment: environment, options: options).run([flaky])
        #expect(rerun.count == 1 && rerun[0].status == .passed && rerun[0].flaky && rerun[0].attempts == 2)
        #expect(rerun[0].failure?.contains("'check-something' exited with 1") == true, "the first failure is kept: \(rerun[0].failure ?? "")")

        options = RunOptions()
        options.multiply = 3
        let multiplied = TestScheduler(environment: environment, options: options).run([flaky])
        #expect(multiplied.map(\.iteration) == [1, 2, 3] && multiplied.allSatisfy { $0.status == .passed })
    }

    /// A test failing on every attempt is failed, not flaky, after 1 + `--rerun-failed` runs;
    /// the failure is the last one's.
    @Test func aTestFailingEveryAttemptFailsAfterItsReruns() throws {
        let state = try State()
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.ostree], upgradeCommit: nil)
        guest.failuresLeft["check-something"] = 3
        let environment = try state.environment(guest: guest)
        defer { environment.finish() }
        var options = RunOptions()
        options.rerunFailed = 2
        let results = TestScheduler(environment: environment, options: options)
            .run([TestEntry.scenario(try scenario("  - boot\n  - run: check-something\n"))])
        #expect(results.count == 1 && results[0].status == .failed && !results[0].flaky && results[0].attempts == 3)
        #expect(results[0].failure?.contains("'check-something' exited with 1") == true, "\(results[0].failure ?? "")")
        #expect(guest.failuresLeft["check-something"] == 0, "three attempts ran")
    }

    @Test func withoutAnUpdateTheUpdateStepsSayWhatIsMissing() throws {
        let state = try State()
        var image = TestImage(ref: State.ref, commit: state.repository.commit)
        image.path = state.path + "/image.qcow2"
        let guest = FakeOSTreeGuest(commit: state.repository.commit, clients: [.ostree], upgradeCommit: nil)
        let environment = try RunEnvironment(project: ProjectLayout(root: TestPaths.packageRoot), stateDirectory: state.path,
                                             image: image, outputDirectory: state.path, connectURI: nil, keepFailed: false,
                                             imageIsDefault: false, launch: { _ in FakeMachine(guest: guest) })
        let result = run(try scenario("  - boot\n  - deliver: update\n"), in: environment)
        #expect(result.failure?.contains("this run has none: give --update or --update-treefile") == true, "\(result.failure ?? "")")
    }
}
