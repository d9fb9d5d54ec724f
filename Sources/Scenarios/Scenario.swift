import Foundation
import ImageBuild
import ToolSupport
import Yams

/// A scenario: a host-side sequence of steps (compose, boot, run and check in the guest,
/// deliver updates, reboot, cut the power) read from `scenarios/NAME.yaml`.
public struct Scenario: Sendable {
    /// The file's base name: `upgrade-rollback`.
    public var name: String
    public var file: String
    public var description: String
    public var tags: [String]
    /// The guest's memory, MiB.
    public var memoryMiB: Int
    /// What `${NAME}` stands for in the steps: the file's `parameters:` defaults, overridden
    /// by `harness run --param NAME=VALUE`.
    public var parameters: [String: String]
    public var steps: [ScenarioStep]

    /// Whether a step publishes an update over HTTP: its machines are booted from the image
    /// that verifies with the run's publishing key, with the update server forwarded in.
    var publishes: Bool {
        func any(_ steps: [ScenarioStep]) -> Bool {
            steps.contains { step in
                switch step {
                case .publish: true
                case .repeated(_, let body): any(body)
                default: false
                }
            }
        }
        return any(steps)
    }
}

/// One step of a scenario. In YAML a step is a one-key mapping (`- run: treectl status`) or,
/// for steps that take nothing, the bare keyword (`- reboot`).
public indirect enum ScenarioStep: Sendable {
    /// Boots the image under test on a fresh overlay (stopping the machine already running).
    case boot
    /// Runs a shell command in the guest; it must exit with `status`, and its stdout must
    /// contain every string of `expect` and none of `expectNot`.
    case run(command: String, status: Int32, expect: [String], expectNot: [String], timeout: TimeInterval)
    /// Starts a shell command in the guest without waiting (for `cut-power`).
    case start(command: String)
    /// Upgrades with the guest's client (`GuestClient`) from the image's remote; without
    /// `wait`, starts the upgrade as `start` does.
    case upgrade(wait: Bool)
    /// Makes the previous deployment the default with the guest's client.
    case rollback
    /// Adds kernel arguments through a new deployment, with the guest's client.
    case kargs(append: [String])
    /// Reboots the guest and waits for it; the console and the failed units are checked.
    case reboot
    /// Composes `scenarios/treefiles/NAME.yaml` (once per run) as the compose NAME.
    case compose(name: String)
    /// Writes an update disk with compose NAME's commit (or the image's, for `image`) on the
    /// ref the image follows, plus the packages of the local repositories; plugs it into the
    /// guest and mounts it at `/run/harness/updates`.
    case deliver(name: String)
    /// Publishes compose NAME's commit on the ref the image follows (`harness publish`: a
    /// static delta from the image's commit, a signed summary) into the test's directory that
    /// its HTTP server on the host's loopback serves, which the guest reaches at
    /// `http://127.0.0.1:8080/repo` (its remote, in an image built to verify with the run's
    /// publishing key). Unless `sign`, the commits go out unsigned; with `tamper`, the served
    /// commit object and delta are altered after publishing.
    case publish(name: String, sign: Bool, tamper: Bool)
    /// The booted deployment's base commit must be the commit of one of these composes
    /// (`image` is the image's own).
    case booted(oneOf: [String])
    /// Cuts the power while the command started last runs: at a random moment within the
    /// time that command took when it last ran to the end with `run`; or, with `afterSwap`,
    /// within that many seconds after the boot entries were swapped (`/boot/loader` changed),
    /// the moments a bootloader may still see the old entries.
    case cutPower(afterSwap: TimeInterval?)
    /// Restores the power and waits for the guest (console checked).
    case powerOn
    /// The steps `count` times.
    case repeated(count: Int, steps: [ScenarioStep])
    /// Runs the image's live installer (`--platform live-iso`, built once per commit) under
    /// QEMU onto a blank disk of `diskSize`, with a NoCloud seed making user `core` with the
    /// public key `seedKey` (a path under `scenarios/`) when given; stops the machine first.
    case install(diskSize: UInt64, seedKey: String?)
    /// Boots the disk the last `install` wrote, alone, on a fresh overlay.
    case bootInstalled
    /// Boots the image's metal platform artifact (built with the installer) on a fresh
    /// overlay of `diskSize`, a disk larger than the image.
    case bootMetal(diskSize: UInt64)

    /// The step in words, as the transcript and the report show it.
    public var title: String {
        switch self {
        case .boot: "boot"
        case .run(let command, _, _, _, _): "run: " + command.split(separator: "\n").joined(separator: "; ")
        case .start(let command): "start: " + command
        case .upgrade(let wait): wait ? "upgrade" : "start the upgrade"
        case .rollback: "rollback"
        case .kargs(let append): "kargs: append " + append.joined(separator: " ")
        case .reboot: "reboot"
        case .compose(let name): "compose " + name
        case .deliver(let name): "deliver " + name
        case .publish(let name, let sign, let tamper):
            "publish \(name)" + (sign ? "" : ", unsigned") + (tamper ? ", tampered with after publishing" : "")
        case .booted(let names): "booted: " + names.joined(separator: " or ")
        case .cutPower(let afterSwap): "cut the power" + (afterSwap.map { String(format: " within %.0f s after the boot entries swap", $0) } ?? "")
        case .powerOn: "power on"
        case .repeated(let count, _): "repeat \(count) times"
        case .install(let size, let key):
            "install onto a blank \(ByteCount.format(size)) disk" + (key.map { " with a seed for \($0)" } ?? "")
        case .bootInstalled: "boot the installed disk"
        case .bootMetal(let size): "boot the metal image on a \(ByteCount.format(size)) disk"
        }
    }
}

/// A scenario file that cannot be used, naming the file and the key at fault.
public struct ScenarioError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Scenario {
    /// The guest memory when a scenario does not say.
    public static let defaultMemoryMiB = 1536

    /// Reads `path`; `overrides` replace the defaults of parameters it declares (others are
    /// ignored here: `TestCatalog.select` checks that each names one some scenario has).
    public static func load(_ path: String, overrides: [String: String] = [:]) throws -> Scenario {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ScenarioError("\(path): cannot read: \(error.localizedDescription)")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ScenarioError("\(path): not YAML: \(error)")
        }
        guard let mapping = node?.mapping else { throw ScenarioError("\(path): expected a mapping with 'description' and 'steps'") }
        var parameters: [String: String] = [:]
        if let node = mapping["parameters"] {
            guard let declared = node.mapping else { throw ScenarioError("\(path): 'parameters' must map names to default values") }
            for (key, value) in declared {
                guard let name = key.string, let text = value.string else {
                    throw ScenarioError("\(path): parameters: each is a name and a default value")
                }
                parameters[name] = overrides[name] ?? text
            }
        }
        let reader = StepReader(file: path, parameters: parameters)
        let known: Set = ["description", "tags", "memory", "parameters", "steps"]
        for key in mapping.keys.compactMap(\.string) where !known.contains(key) {
            throw ScenarioError("\(path): unknown key '\(key)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let description = mapping["description"]?.string else { throw ScenarioError("\(path): 'description' is missing") }
        guard let steps = mapping["steps"] else { throw ScenarioError("\(path): 'steps' is missing") }
        var memory = defaultMemoryMiB
        if let value = mapping["memory"] {
            guard let megabytes = value.int, megabytes >= 256 else { throw ScenarioError("\(path): 'memory' must be MiB, at least 256") }
            memory = megabytes
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return Scenario(name: name, file: path, description: description,
                        tags: try reader.strings(mapping["tags"], key: "tags"), memoryMiB: memory, parameters: parameters,
                        steps: try reader.steps(steps, at: "steps"))
    }
}

/// Turns the YAML of `steps:` into steps, with errors that name the file and the step;
/// `${NAME}` of a declared parameter becomes its value (any other `${...}` is the shell's).
private struct StepReader {
    let file: String
    let parameters: [String: String]

    func substituted(_ text: String) -> String {
        parameters.reduce(text) { $0.replacingOccurrences(of: "${\($1.key)}", with: $1.value) }
    }

    func fail(_ location: String, _ message: String) -> ScenarioError {
        ScenarioError("\(file): \(location): \(message)")
    }

    func steps(_ node: Node, at location: String) throws -> [ScenarioStep] {
        guard let sequence = node.sequence, !sequence.isEmpty else { throw fail(location, "expected a list of steps") }
        return try sequence.enumerated().map { index, item in try step(item, at: "\(location)[\(index)]") }
    }

    func step(_ node: Node, at location: String) throws -> ScenarioStep {
        if let keyword = node.string {
            switch keyword {
            case "boot": return .boot
            case "reboot": return .reboot
            case "cut-power": return .cutPower(afterSwap: nil)
            case "power-on": return .powerOn
            case "upgrade": return .upgrade(wait: true)
            case "rollback": return .rollback
            case "boot-installed": return .bootInstalled
            default: throw fail(location, "unknown step '\(keyword)'")
            }
        }
        guard let mapping = node.mapping, let kind = mapping.keys.first?.string, let value = mapping[kind] else {
            throw fail(location, "a step is a keyword or a mapping such as 'run: COMMAND'")
        }
        let options = Set(mapping.keys.compactMap(\.string)).subtracting([kind])
        let allowed: Set<String> = switch kind {
        case "run": ["expect", "expect-not", "status", "timeout"]
        case "repeat": ["steps"]
        default: []
        }
        if kind == "cut-power" {
            guard let options = value.mapping, Set(options.keys.compactMap(\.string)) == ["after-swap"],
                  let seconds = options["after-swap"].flatMap({ $0.int ?? $0.string.flatMap { Int(substituted($0)) } }),
                  seconds > 0 else {
                throw fail(location, "'cut-power' takes nothing, or 'after-swap: SECONDS'")
            }
            return .cutPower(afterSwap: TimeInterval(seconds))
        }
        if kind == "upgrade" {
            guard let options = value.mapping, Set(options.keys.compactMap(\.string)) == ["wait"],
                  let wait = options["wait"]?.bool else {
                throw fail(location, "'upgrade' takes nothing, or 'wait: false' to start it without waiting")
            }
            return .upgrade(wait: wait)
        }
        if kind == "boot-metal" {
            guard let options = value.mapping, Set(options.keys.compactMap(\.string)) == ["disk-size"],
                  let sizeText = options["disk-size"]?.string.map(substituted), let size = ImageOptions.parseSize(sizeText) else {
                throw fail(location, "'boot-metal' takes 'disk-size: SIZE' (20G)")
            }
            return .bootMetal(diskSize: size)
        }
        if kind == "install" {
            guard let options = value.mapping, Set(options.keys.compactMap(\.string)).isSubset(of: ["disk-size", "seed-key"]),
                  let sizeText = options["disk-size"]?.string.map(substituted), let size = ImageOptions.parseSize(sizeText) else {
                throw fail(location, "'install' takes 'disk-size: SIZE' (20G) and optionally 'seed-key: FILE.pub'")
            }
            return .install(diskSize: size, seedKey: options["seed-key"]?.string.map(substituted))
        }
        if kind == "publish", let options = value.mapping {
            guard Set(options.keys.compactMap(\.string)).isSubset(of: ["compose", "sign", "tamper"]),
                  let name = options["compose"]?.string.map(substituted), !name.isEmpty else {
                throw fail(location, "'publish' takes a compose name, or 'compose: NAME' with 'sign: false' or 'tamper: true'")
            }
            return .publish(name: name, sign: options["sign"]?.bool ?? true, tamper: options["tamper"]?.bool ?? false)
        }
        if kind == "kargs" {
            guard let options = value.mapping, Set(options.keys.compactMap(\.string)) == ["append"] else {
                throw fail(location, "'kargs' takes 'append: ARGUMENT' or a list of them")
            }
            let append = try strings(options["append"], key: location + ".kargs.append")
            guard !append.isEmpty, append.allSatisfy({ !$0.contains(where: \.isWhitespace) }) else {
                throw fail(location + ".kargs.append", "expected kernel arguments without spaces")
            }
            return .kargs(append: append)
        }
        if let extra = options.subtracting(allowed).sorted().first {
            throw fail(location, "'\(extra)' does not go with '\(kind)'")
        }
        switch kind {
        case "run":
            let command = try string(value, at: location + ".run")
            var status: Int32 = 0
            if let node = mapping["status"] {
                guard let value = node.int else { throw fail(location + ".status", "expected an exit status") }
                status = Int32(value)
            }
            var timeout: TimeInterval = 600
            if let node = mapping["timeout"] {
                guard let seconds = node.int, seconds > 0 else { throw fail(location + ".timeout", "expected seconds") }
                timeout = TimeInterval(seconds)
            }
            return .run(command: command, status: status, expect: try strings(mapping["expect"], key: location + ".expect"),
                        expectNot: try strings(mapping["expect-not"], key: location + ".expect-not"), timeout: timeout)
        case "start": return .start(command: try string(value, at: location + ".start"))
        case "compose": return .compose(name: try string(value, at: location + ".compose"))
        case "deliver": return .deliver(name: try string(value, at: location + ".deliver"))
        case "publish": return .publish(name: try string(value, at: location + ".publish"), sign: true, tamper: false)
        case "booted":
            let names = try strings(value, key: location + ".booted")
            guard !names.isEmpty else { throw fail(location + ".booted", "name at least one compose, or image") }
            return .booted(oneOf: names)
        case "repeat":
            guard let count = value.int ?? value.string.flatMap({ Int(substituted($0)) }), count > 0 else {
                throw fail(location + ".repeat", "expected a count")
            }
            guard let body = mapping["steps"] else { throw fail(location, "'repeat' needs 'steps'") }
            return .repeated(count: count, steps: try steps(body, at: location + ".steps"))
        case "boot", "reboot", "power-on", "rollback", "boot-installed":
            throw fail(location, "'\(kind)' takes nothing: write '- \(kind)'")
        default:
            throw fail(location, "unknown step '\(kind)'")
        }
    }

    func string(_ node: Node, at location: String) throws -> String {
        guard let text = node.string.map(substituted), !text.isEmpty else { throw fail(location, "expected a string") }
        return text
    }

    /// A string or a list of strings; nothing is an empty list.
    func strings(_ node: Node?, key: String) throws -> [String] {
        guard let node else { return [] }
        if let text = node.string { return [substituted(text)] }
        guard let sequence = node.sequence else { throw fail(key, "expected a string or a list of strings") }
        return try sequence.map { item in
            guard let text = item.string else { throw fail(key, "expected a string or a list of strings") }
            return substituted(text)
        }
    }
}
