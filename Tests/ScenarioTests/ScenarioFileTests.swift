import Foundation
import TestSupport
import Testing
@testable import Scenarios

/// Scenario files: what the shipped ones say, and how a broken one is refused.
@Suite struct ScenarioFileTests {
    private func load(_ yaml: String) throws -> Scenario {
        let fixture = try KolaFixtureDirectory()
        let path = try fixture.write("broken.yaml", yaml)
        return try Scenario.load(path)
    }

    private func loadError(_ yaml: String) -> String {
        do {
            _ = try load(yaml)
            return "loaded"
        } catch {
            return String(describing: error)
        }
    }

    @Test func everyShippedScenarioLoads() throws {
        let layout = ProjectLayout(root: TestPaths.packageRoot)
        let catalog = try TestCatalog.load(project: layout)
        let scenarios = catalog.entries.compactMap { if case .scenario(let scenario) = $0 { scenario } else { nil } }
        #expect(scenarios.map(\.name) == ["install-from-iso", "kargs", "layering", "metal-grow", "override-replace",
                                            "power-cut-after-swap", "power-cut", "upgrade-over-http", "upgrade-rollback"])
        for scenario in scenarios {
            switch scenario.steps.first(where: { if case .compose = $0 { false } else { true } }) {
            case .boot, .install, .bootMetal: continue
            default: Issue.record("\(scenario.name): the first step after composes must boot or install")
            }
        }
        // Every compose a scenario names exists.
        for scenario in scenarios {
            for case .compose(let name) in scenario.steps {
                #expect(FileManager.default.fileExists(atPath: layout.scenarioTreefilesDirectory + "/\(name).yaml"), "\(scenario.name): \(name)")
            }
        }
    }

    @Test func parametersFillTheStepsAndCanBeOverridden() throws {
        let fixture = try KolaFixtureDirectory()
        let path = try fixture.write("trials.yaml", """
            description: parameters
            parameters:
              upgrade: treectl upgrade
              trials: "3"
            steps:
              - boot
              - repeat: ${trials}
                steps:
                  - start: ${upgrade} --check
                  - cut-power: {after-swap: 40}
                  - run: echo ${HOME}
            """)
        let defaults = try Scenario.load(path)
        guard case .repeated(let count, let steps) = defaults.steps[1] else { Issue.record("no repeat"); return }
        #expect(count == 3)
        guard case .start(let command) = steps[0], case .cutPower(let afterSwap) = steps[1], case .run(let echo, _, _, _, _) = steps[2] else {
            Issue.record("steps not read: \(steps)")
            return
        }
        #expect(command == "treectl upgrade --check")
        #expect(afterSwap == 40)
        #expect(echo == "echo ${HOME}", "a name that is not a parameter is the shell's")

        let overridden = try Scenario.load(path, overrides: ["trials": "7", "upgrade": "ostree admin upgrade"])
        guard case .repeated(7, let body) = overridden.steps[1], case .start("ostree admin upgrade --check") = body[0] else {
            Issue.record("overrides not applied: \(overridden.steps)")
            return
        }
    }

    @Test func aParameterNoSelectedScenarioHasIsRefused() throws {
        let catalog = try TestCatalog.load(project: ProjectLayout(root: TestPaths.packageRoot))
        #expect(throws: ScenarioError.self) { try catalog.select(patterns: ["upgrade-rollback"], tags: [], parameters: ["trials"]) }
        #expect(try catalog.select(patterns: ["power-cut"], tags: [], parameters: ["trials"]).count == 1)
    }

    @Test func cutPowerTakesOnlyAfterSwap() {
        #expect(loadError("description: x\nsteps:\n  - boot\n  - cut-power: {after: 3}\n").contains("'cut-power' takes nothing, or 'after-swap: SECONDS'"))
    }

    @Test func stepsAndTheirOptionsAreRead() throws {
        let scenario = try load("""
            description: a test
            tags: [one, two]
            memory: 2048
            steps:
              - boot
              - run: echo hi
                expect: hi
                expect-not: [bye, ciao]
                status: 0
                timeout: 30
              - deliver: next
              - booted: [image, next]
              - repeat: 2
                steps:
                  - start: treectl upgrade
                  - cut-power
                  - power-on
            """)
        #expect(scenario.tags == ["one", "two"])
        #expect(scenario.memoryMiB == 2048)
        #expect(scenario.steps.map(\.title) == ["boot", "run: echo hi", "deliver next", "booted: image or next", "repeat 2 times"])
        guard case .run(_, let status, let expect, let expectNot, let timeout) = scenario.steps[1] else {
            Issue.record("step 2 is not run")
            return
        }
        #expect(status == 0 && expect == ["hi"] && expectNot == ["bye", "ciao"] && timeout == 30)
        guard case .repeated(2, let body) = scenario.steps[4] else {
            Issue.record("step 5 is not repeat")
            return
        }
        #expect(body.map(\.title) == ["start: treectl upgrade", "cut the power", "power on"])
    }

    @Test func installStepsAreRead() throws {
        let scenario = try load("""
            description: a test
            steps:
              - install: {disk-size: 20G, seed-key: fixtures/seed-key.pub}
              - boot-installed
              - install: {disk-size: 512M}
              - boot-metal: {disk-size: 20G}
            """)
        #expect(scenario.steps.map(\.title) == ["install onto a blank 20 GiB disk with a seed for fixtures/seed-key.pub",
                                                "boot the installed disk", "install onto a blank 512 MiB disk",
                                                "boot the metal image on a 20 GiB disk"])
        guard case .install(20 << 30, "fixtures/seed-key.pub") = scenario.steps[0] else {
            Issue.record("step 1 is not that install")
            return
        }
        let noSize = loadError("description: x\nsteps:\n  - install: {seed-key: k.pub}\n")
        #expect(noSize.contains("steps[0]: 'install' takes 'disk-size: SIZE'"), "\(noSize)")
        let badArgument = loadError("description: x\nsteps:\n  - boot-installed: now\n")
        #expect(badArgument.contains("'boot-installed' takes nothing"), "\(badArgument)")
    }

    @Test func publishStepsAreReadAndMakeTheScenarioAPublishingOne() throws {
        let scenario = try load("""
            description: a test
            steps:
              - boot
              - repeat: 2
                steps:
                  - publish: {compose: update, sign: false}
              - publish: {compose: next, tamper: true}
              - publish: update
            """)
        #expect(scenario.publishes)
        guard case .repeated(2, let body) = scenario.steps[1], case .publish("update", false, false) = body[0],
              case .publish("next", true, true) = scenario.steps[2], case .publish("update", true, false) = scenario.steps[3] else {
            Issue.record("\(scenario.steps)")
            return
        }
        #expect(scenario.steps[3].title == "publish update")
        #expect(scenario.steps[2].title == "publish next, tampered with after publishing")
        #expect(try !load("description: x\nsteps:\n  - boot\n").publishes)
        let unknownOption = loadError("description: x\nsteps:\n  - publish: {compose: update, signed: no}\n")
        #expect(unknownOption.contains("steps[0]: 'publish' takes a compose name"), "\(unknownOption)")
    }

    @Test func errorsNameTheFileAndTheStep() {
        let unknownStep = loadError("description: x\nsteps:\n  - boot\n  - reboto\n")
        #expect(unknownStep.contains("broken.yaml: steps[1]: unknown step 'reboto'"), "\(unknownStep)")
        let wrongOption = loadError("description: x\nsteps:\n  - deliver: next\n    expect: y\n")
        #expect(wrongOption.contains("steps[0]: 'expect' does not go with 'deliver'"), "\(wrongOption)")
        let unknownKey = loadError("description: x\nstep: []\n")
        #expect(unknownKey.contains("broken.yaml: unknown key 'step'"), "\(unknownKey)")
        let noSteps = loadError("description: x\n")
        #expect(noSteps.contains("'steps' is missing"), "\(noSteps)")
        let badRepeat = loadError("description: x\nsteps:\n  - repeat: 0\n    steps: [boot]\n")
        #expect(badRepeat.contains("steps[0].repeat: expected a count"), "\(badRepeat)")
        let badArgument = loadError("description: x\nsteps:\n  - reboot: now\n")
        #expect(badArgument.contains("'reboot' takes nothing"), "\(badArgument)")
    }

    @Test func selectionByGlobAndTag() throws {
        let catalog = try TestCatalog.load(project: ProjectLayout(root: TestPaths.packageRoot))
        #expect(try catalog.select(patterns: ["upgrade-*"], tags: []).map(\.name) == ["upgrade-over-http", "upgrade-rollback"])
        #expect(try catalog.select(patterns: [], tags: ["override"]).map(\.name) == ["override-replace"])
        let basics = try catalog.select(patterns: ["ext.harness.*"], tags: ["basic"]).map(\.name)
        #expect(basics.contains("ext.harness.mounts") && !basics.contains("ext.harness.reboot"))
        #expect(throws: ScenarioError.self) { try catalog.select(patterns: ["upgrade-rolback"], tags: []) }
    }

    @Test func aTeamsScenarioDirectoryAddsItsScenarios() throws {
        let fixture = try KolaFixtureDirectory()
        try fixture.write("team/reboot-twice.yaml", "description: two reboots\nsteps:\n  - boot\n  - reboot\n  - reboot\n")
        let layout = ProjectLayout(root: TestPaths.packageRoot)
        let catalog = try TestCatalog.load(project: layout, scenarioDirectories: [fixture.path + "/team"])
        #expect(try catalog.select(patterns: ["reboot-twice"], tags: []).map(\.name) == ["reboot-twice"])
        #expect(catalog.entries.contains { $0.name == "upgrade-rollback" }, "the built-in scenarios stay")
        try fixture.write("clash/kargs.yaml", "description: mine\nsteps:\n  - boot\n")
        #expect(throws: ScenarioError.self) { try TestCatalog.load(project: layout, scenarioDirectories: [fixture.path + "/clash"]) }
        #expect(throws: ScenarioError.self) { try TestCatalog.load(project: layout, scenarioDirectories: [fixture.path + "/missing"]) }
    }

    @Test func kolaTestsShareAMachineOnlyWhenTheyMay() throws {
        let catalog = try TestCatalog.load(project: ProjectLayout(root: TestPaths.packageRoot))
        let exclusive = Dictionary(uniqueKeysWithValues: catalog.entries.map { ($0.name, $0.exclusive) })
        #expect(exclusive["ext.harness.mounts"] == false)
        #expect(exclusive["ext.harness.reboot"] == true, "a test that reboots needs its own machine")
        #expect(exclusive["upgrade-rollback"] == true)
    }
}

@Suite struct MemoryBudgetTests {
    @Test func aReservationWaitsForMemoryToBeReleased() throws {
        let budget = MemoryBudget(totalMiB: 3000)
        try budget.reserve(2000)
        let second = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? budget.reserve(2000)
            second.signal()
        }
        #expect(second.wait(timeout: .now() + 0.3) == .timedOut, "2000 + 2000 MiB do not fit in 3000")
        budget.release(2000)
        #expect(second.wait(timeout: .now() + 5) == .success, "released memory lets the waiting machine start")
    }

    @Test func aMachineBiggerThanTheHostFailsAtOnce() {
        let budget = MemoryBudget(totalMiB: 1000)
        #expect(throws: ScenarioError.self) { try budget.reserve(1001) }
    }
}

@Suite struct GuestCPUTests {
    /// Guests get two vCPUs unless `--parallel` would give them more vCPUs than the host has
    /// cores (each vCPU is a host thread under TCG); the run's choice reaches every machine.
    @Test func parallelGuestsGetOneVCPUWhenCoresAreShort() throws {
        #expect(RunEnvironment.defaultVCPUs(parallel: 1, cores: 2) == 2)
        #expect(RunEnvironment.defaultVCPUs(parallel: 2, cores: 2) == 1)
        #expect(RunEnvironment.defaultVCPUs(parallel: 2, cores: 4) == 2)
        #expect(RunEnvironment.defaultVCPUs(parallel: 3, cores: 4) == 1)
        let environment = try RunEnvironment(project: ProjectLayout(root: TestPaths.packageRoot), stateDirectory: "/nonexistent",
                                             image: TestImage(ref: "os", commit: String(repeating: "0", count: 64)),
                                             outputDirectory: "/nonexistent", connectURI: nil, keepFailed: false, vcpus: 1)
        defer { environment.finish() }
        #expect(environment.spawnOptions(image: "/disk.qcow2", memoryMiB: 1024).vcpus == 1)
    }
}
