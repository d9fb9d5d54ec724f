import Foundation
import ImageBuild
import Machine
import ToolSupport

/// Carries out a scenario's steps on a guest session.
final class ScenarioRunner {
    let scenario: Scenario
    let session: GuestSession
    private var environment: RunEnvironment { session.environment }
    /// The command `start` left running in the guest, its pid, when it started, and where
    /// `/boot/loader` pointed just before.
    private var started: (command: String, pid: Int, at: Date, loader: String)?
    /// How long each command took the last time a `run` step ran it to the end.
    private var durations: [String: TimeInterval] = [:]
    /// The iteration of the innermost `repeat` running now, and its count.
    private var iteration: (index: Int, count: Int)?

    init(scenario: Scenario, session: GuestSession) {
        self.scenario = scenario
        self.session = session
    }

    func run() throws {
        if scenario.publishes { try session.startUpdateServer() }
        try run(scenario.steps, label: "")
    }

    private func run(_ steps: [ScenarioStep], label: String) throws {
        for step in steps {
            if case .repeated(let count, let body) = step {
                let outer = iteration
                defer { iteration = outer }
                for index in 1...count {
                    iteration = (index, count)
                    try run(body, label: label + "[\(index)/\(count)] ")
                }
                continue
            }
            Console.progress(label + step.title)
            try session.log.step(label + step.title) { try perform(step) }
        }
    }

    private func perform(_ step: ScenarioStep) throws {
        switch step {
        case .boot:
            try session.boot()
        case .reboot:
            try session.reboot()
        case .run(let command, let status, let expect, let expectNot, let timeout):
            try runToTheEnd(command, status: status, expect: expect, expectNot: expectNot, timeout: timeout)
        case .start(let command):
            try start(command)
        case .upgrade(let wait):
            let command = try session.client().upgrade
            if wait { try runToTheEnd(command) } else { try start(command) }
        case .rollback:
            try runToTheEnd(try session.client().rollback)
        case .kargs(let append):
            try runToTheEnd(try session.client().kargs(append: append))
        case .compose(let name):
            let commit = try environment.commit(ofCompose: name)
            session.log.note("compose \(name): \(commit)")
        case .deliver(let name):
            let disk = try environment.updateDisk(for: name)
            try session.mount(disk: disk, label: UpdateDisk.label, at: "/run/harness/updates")
        case .publish(let name, let sign, let tamper):
            try session.publish(compose: name, sign: sign, tamper: tamper)
        case .booted(let names):
            try checkBooted(oneOf: names)
        case .cutPower(let afterSwap):
            try cutPowerWhileStartedCommandRuns(afterSwap: afterSwap)
        case .powerOn:
            try session.powerOn()
        case .install(let diskSize, let seedKey):
            try session.install(diskSize: diskSize, seedKey: seedKey.map { environment.project.scenariosDirectory + "/" + $0 })
        case .bootInstalled:
            try session.bootInstalled()
        case .bootMetal(let diskSize):
            try session.boot(image: try environment.installerBuild().metal, diskSize: diskSize)
        case .repeated:
            preconditionFailure("repeat is unrolled by run(_:label:)")
        }
    }

    /// Runs `command` and checks what it did; its duration bounds a later `cut-power`.
    private func runToTheEnd(_ command: String, status: Int32 = 0, expect: [String] = [], expectNot: [String] = [],
                             timeout: TimeInterval = 600) throws {
        let begin = Date()
        let result = try session.run(command, timeout: timeout)
        durations[command] = Date().timeIntervalSince(begin)
        try check(result, of: command, status: status, expect: expect, expectNot: expectNot)
    }

    /// Starts `command` without waiting, for `cut-power`, noting where `/boot/loader` points.
    private func start(_ command: String) throws {
        let loader = try session.check("readlink /boot/loader").trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = try session.running().channel.start(command)
        started = (command, pid, Date(), loader)
        session.log.note("started '\(command)' as \(pid) (/boot/loader -> \(loader))")
    }

    private func check(_ result: GuestCommandResult, of command: String, status: Int32, expect: [String], expectNot: [String]) throws {
        let shown = command.split(separator: "\n").joined(separator: "; ")
        guard result.exitCode == status else {
            throw ScenarioError("'\(shown)' exited with \(result.exitCode), expected \(status): "
                                + GuestSession.tail(result.stderr + result.stdout))
        }
        if let missing = expect.first(where: { !result.stdout.contains($0) }) {
            throw ScenarioError("the output of '\(shown)' lacks '\(missing)': " + GuestSession.tail(result.stdout))
        }
        if let present = expectNot.first(where: { result.stdout.contains($0) }) {
            throw ScenarioError("the output of '\(shown)' has '\(present)', which it must not: " + GuestSession.tail(result.stdout))
        }
    }

    /// The booted deployment's base commit (as the guest's client reports it) must be one of
    /// the composes named.
    private func checkBooted(oneOf names: [String]) throws {
        let commits = try names.map { try environment.commit(ofCompose: $0) }
        let client = try session.client()
        let command = client.statusJSON ?? "ostree admin status"
        let output = try session.check(command)
        guard let base = client.statusJSON == nil ? GuestClient.bootedCommit(fromOstreeStatus: output)
                                                  : GuestClient.bootedCommit(fromStatusJSON: output) else {
            throw ScenarioError("'\(command)' names no booted deployment")
        }
        guard let index = commits.firstIndex(of: base) else {
            let expected = zip(names, commits).map { "\($0) (\($1.prefix(12)))" }.joined(separator: " or ")
            throw ScenarioError("booted into \(base.prefix(12)), expected \(expected)")
        }
        session.log.note("booted into \(names[index]) (\(base))")
    }

    /// Cuts the power at a random moment of the started command: within the time it took when
    /// it last ran to the end (60 s if it never did), plus a tenth, so that some cuts fall
    /// after it finished; or, with `afterSwap`, within that many seconds after `/boot/loader`
    /// changed (polled in the guest), when a bootloader that does not replay the /boot journal
    /// may still see the old entries. Inside `repeat`, iteration i of n cuts within the i-th of
    /// n equal slices of the window, so the trials cover all of it. If the command ends before
    /// the moment, the power is cut right then. Then the disk is read as the bootloader will.
    private func cutPowerWhileStartedCommandRuns(afterSwap: TimeInterval?) throws {
        guard let started else { throw ScenarioError("'cut-power' needs a command left running by a 'start' step") }
        let (index, count) = iteration ?? (1, 1)
        let channel = try session.running().channel
        let origin: Date
        let window: TimeInterval
        if let afterSwap {
            origin = try waitForSwap(from: started.loader, while: started, channel: channel)
            window = afterSwap
        } else {
            origin = started.at
            window = (durations[started.command] ?? 60) * 1.1
        }
        let slice = window / Double(count)
        let delay = Double.random(in: slice * Double(index - 1)...slice * Double(index))
        session.log.note(String(format: "cutting the power %.1f s after %@ (this cut's slice %.1f-%.1f s of %.1f s)",
                                delay, afterSwap == nil ? "'\(started.command)' started" : "the boot entries swapped",
                                slice * Double(index - 1), slice * Double(index), window))
        var ended = false
        while Date().timeIntervalSince(origin) < delay {
            if !ended, let result = try? channel.status(of: started.pid) {
                session.log.command(started.command, result: result)
                session.log.note(String(format: "it ended after %.1f s", Date().timeIntervalSince(started.at)))
                ended = true
                if afterSwap == nil { break }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        try session.cutPower()
        self.started = nil
        try session.checkBootEntry()
    }

    /// Polls `/boot/loader` in the guest until it no longer points at `loader`; returns when it
    /// was seen to change. The started command ending first without a swap is an error.
    private func waitForSwap(from loader: String, while started: (command: String, pid: Int, at: Date, loader: String),
                             channel: any GuestChannel) throws -> Date {
        while true {
            let now = try session.run("readlink /boot/loader").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if now != loader {
                session.log.note(String(format: "the boot entries swapped (/boot/loader -> %@) %.1f s into '%@'",
                                        now, Date().timeIntervalSince(started.at), started.command))
                return Date()
            }
            if let result = try? channel.status(of: started.pid) {
                session.log.command(started.command, result: result)
                throw ScenarioError("'\(started.command)' ended (exit status \(result.exitCode)) without swapping the boot entries")
            }
            Thread.sleep(forTimeInterval: 0.3)
        }
    }
}
