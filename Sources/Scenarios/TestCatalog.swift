import Foundation
import Kola

/// A test `harness run` can run: a scenario, or an in-guest test in kola's external form.
public enum TestEntry: Sendable {
    case scenario(Scenario)
    case external(ExternalTest)

    public var name: String {
        switch self {
        case .scenario(let scenario): scenario.name
        case .external(let test): test.name
        }
    }

    /// `scenario` or `external`, as the reports say.
    public var kind: String {
        switch self {
        case .scenario: "scenario"
        case .external: "external"
        }
    }

    /// kola's `requiredTag`, which `--tag` selects as it selects a tag.
    var requiredTags: [String] {
        if case .external(let test) = self, let tag = test.metadata.requiredTag { [tag] } else { [] }
    }

    /// Its tags; kola tags every external test `external`, before the test's own.
    public var tags: [String] {
        switch self {
        case .scenario(let scenario): scenario.tags
        case .external(let test): test.tags
        }
    }

    public var description: String {
        switch self {
        case .scenario(let scenario): scenario.description
        case .external(let test): test.metadata.description ?? ""
        }
    }

    /// The guest memory it needs, MiB.
    public var memoryMiB: Int {
        switch self {
        case .scenario(let scenario): scenario.memoryMiB
        case .external(let test): max(test.metadata.minMemoryMiB ?? 0, Scenario.defaultMemoryMiB)
        }
    }

    /// Whether it needs a machine of its own (every scenario; kola tests unless they say
    /// `exclusive: false`, or need kernel arguments, disks or a disk size of their own).
    public var exclusive: Bool {
        switch self {
        case .scenario: true
        case .external(let test):
            test.metadata.exclusive || test.metadata.appendKernelArgs != nil || !test.metadata.additionalDisks.isEmpty
                || test.metadata.minDiskGiB != nil
        }
    }
}

/// Every test of a checkout (`scenarios/*.yaml` and the kola-style tests of `kola-like/`),
/// or the external tests of `-E` directories; and the selection `harness run` makes of them.
public struct TestCatalog: Sendable {
    public var entries: [TestEntry]
    /// What finding the kola tests turned up that kola warns about (a file with `#!` that is
    /// not executable, an `-E` directory without `tests/kola`).
    public var warnings: [String] = []

    /// The checkout's tests, or, when `externalDirectories` is not empty, only the tests
    /// found in those (as `kola run -E`).
    /// `parameters` (`harness run --param`) override the scenarios' defaults.
    /// `scenarioDirectories` (`harness run -S`) add their scenarios to the checkout's; a name
    /// two of them share is an error.
    public static func load(project: ProjectLayout, externalDirectories: [String] = [], scenarioDirectories: [String] = [],
                            parameters: [String: String] = [:]) throws -> TestCatalog {
        if !externalDirectories.isEmpty {
            let found = try externalDirectories.map { try ExternalTestDiscovery.discover(in: $0) }
            let tests = found.flatMap(\.tests)
            try ExternalTestDiscovery.requireDistinctNames(tests)
            return TestCatalog(entries: tests.map(TestEntry.external), warnings: found.flatMap(\.warnings))
        }
        var scenarios: [Scenario] = []
        for directory in [project.scenariosDirectory] + scenarioDirectories {
            let files: [String]
            do { files = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
                throw ScenarioError("\(directory): cannot list scenarios: \(error.localizedDescription)")
            }
            for file in files.filter({ $0.hasSuffix(".yaml") }).sorted() {
                let scenario = try Scenario.load(directory + "/" + file, overrides: parameters)
                if let other = scenarios.first(where: { $0.name == scenario.name }) {
                    throw ScenarioError("\(scenario.file): a scenario named \(scenario.name) exists already (\(other.file))")
                }
                scenarios.append(scenario)
            }
        }
        let kolaLike = try ExternalTestDiscovery.discover(in: project.kolaLikeDirectory, projectName: "harness", layout: .testsDirectory)
        return TestCatalog(entries: scenarios.map(TestEntry.scenario) + kolaLike.tests.map(TestEntry.external), warnings: kolaLike.warnings)
    }

    /// The tests matching any of `patterns` (globs on the name; every test when there are
    /// none) and carrying one of `tags` (when any are given; a kola test's `requiredTag` counts). A pattern that matches no test
    /// is an error: a typo must not pass as a green run.
    /// Each of `parameters` must be one that a selected scenario declares.
    public func select(patterns: [String], tags: [String], parameters: [String] = []) throws -> [TestEntry] {
        for pattern in patterns where !entries.contains(where: { TestNamePattern.matches(pattern, $0.name) }) {
            throw ScenarioError("no test matches '\(pattern)' (harness list names them)")
        }
        let selected = entries.filter { entry in
            (patterns.isEmpty || patterns.contains { TestNamePattern.matches($0, entry.name) })
                && (tags.isEmpty || !Set(tags).isDisjoint(with: entry.tags + entry.requiredTags))
        }
        for name in parameters where !selected.contains(where: { entry in
            if case .scenario(let scenario) = entry { scenario.parameters[name] != nil } else { false }
        }) {
            throw ScenarioError("--param \(name): no selected scenario has a parameter of that name")
        }
        return selected
    }
}
