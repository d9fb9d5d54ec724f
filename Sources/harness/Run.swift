import ArgumentParser
import Foundation
import Kola
import Machine
import Results
import Scenarios
import ToolSupport

/// `harness run`: scenarios and kola-style tests on booted images, with reports.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scenarios and kola-style tests on the default image, --treefile's, or a team's own commits (--repo), booted under QEMU.",
        discussion: """
            Tests are named by glob (harness list shows them); with none, all run. The image is \
            composed (or copied from --repo) and built on first use, and cached by commit. The \
            update scenarios deliver --update (or --update-treefile's compose, or by default \
            scenarios/treefiles/next.yaml's) on the ref the image follows. Scenarios tagged \
            default-image are skipped on any other image. Each test leaves console.txt, \
            journal.txt and transcript.txt in OUTPUT/NAME; the run leaves junit.xml, results.tap, \
            report.html and results.json in OUTPUT, and appends to STATE/history.jsonl (harness \
            history). Exit status 1 when any test failed. Ctrl-C \
            stops every machine and removes the run's scratch files.
            """)

    @OptionGroup var state: StateOptions

    @Argument(help: "Test names or globs (upgrade-rollback, 'ext.harness.*').")
    var patterns: [String] = []

    @Option(help: "Machines to run at once (never more than the host's memory holds).")
    var parallel = 1

    @Option(help: "vCPUs per guest (default: 2, or 1 when --parallel's guests would have more vCPUs than the host has cores).")
    var vcpus: Int?

    @Option(help: "Where the reports and artifacts go (default: harness-output/run-DATE).")
    var output: String?

    @Option(help: "Run a failed test again up to N times; passing on a rerun marks it flaky.")
    var rerunFailed = 0

    @Option(name: .customLong("param"), help: ArgumentHelp("Set a scenario parameter (power-cut: trials, upgrade); repeatable.", valueName: "name=value"))
    var parameters: [String] = []

    @Option(help: "Run each selected test N times (kola's --multiply); the reports give each test's pass rate.")
    var multiply = 1

    @Option(help: "Only tests with this tag; repeatable.")
    var tag: [String] = []

    @Option(help: "The distribution kola tests' distros key is matched against (fcos, rhcos, ...); tests limited to distributions are skipped without it.")
    var distro: String?

    @Option(help: "A kola denylist (YAML: pattern, tracker, snooze) of tests to skip.")
    var denylist: String?

    @Flag(help: "Boot every machine: no test's first boot is restored from the image's saved first boot (tests tagged first-boot always boot).")
    var noRestore = false

    @Flag(help: "Keep a failed test's disk (OUTPUT/NAME/disk.qcow2) to boot with harness spawn.")
    var keepFailed = false

    @Option(help: "libvirt URI (default: the embedded QEMU driver, no daemon).")
    var connect: String?

    @Option(name: .customShort("E"), help: ArgumentHelp("Run the kola external tests of this directory (those of DIR/tests/kola, as kola run -E); repeatable.", valueName: "dir"))
    var externalDirectories: [String] = []

    @Option(help: "The treefile of the image under test (default: images/debian-bookworm/treefile.yaml).")
    var treefile: String?

    @Option(help: "Compose this treefile as the update the scenarios deliver (default: scenarios/treefiles/next.yaml).")
    var updateTreefile: String?

    @Option(help: "An OSTree repository holding the commits to test: a directory, or the http(s):// URL of an archive repository.")
    var repo: String?

    @Option(help: "With --repo: an OpenPGP public key every commit must be signed with (pulled with gpg-verify).")
    var repoGpgKey: String?

    @Option(name: .customLong("image"), help: ArgumentHelp("With --repo: the ref or commit the image under test is built from.", valueName: "ref|commit"))
    var imageName: String?

    @Option(help: ArgumentHelp("With --repo: the ref or commit the update scenarios deliver.", valueName: "ref|commit"))
    var update: String?

    @Option(help: "How harness reaches the guests: agent (the QEMU guest agent) or ssh (root with the state directory's key, through a forward on 127.0.0.1).")
    var channel: String = "agent"

    @Option(help: "The client the upgrade, rollback and kargs steps use: treectl, rpm-ostree or ostree (default: the first the guest has).")
    var client: String?

    @Option(name: .customShort("S"), help: ArgumentHelp("Add the scenarios (*.yaml) of this directory; repeatable.", valueName: "dir"))
    var scenarioDirectories: [String] = []

    @Option(help: "The harness checkout with scenarios/ (default: found from the current directory).")
    var project: String?

    @Flag(help: "Print the results as JSON on stdout.")
    var json = false

    func validate() throws {
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        if let vcpus, vcpus < 1 { throw ValidationError("--vcpus must be at least 1") }
        guard rerunFailed >= 0 else { throw ValidationError("--rerun-failed must not be negative") }
        guard multiply >= 1 else { throw ValidationError("--multiply must be at least 1") }
        guard ["agent", "ssh"].contains(channel) else { throw ValidationError("--channel must be agent or ssh") }
        if let client, GuestClient(rawValue: client) == nil {
            throw ValidationError("--client must be one of \(GuestClient.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (repo == nil) == (imageName == nil) else { throw ValidationError("--repo and --image go together") }
        if repo != nil, treefile != nil { throw ValidationError("--treefile composes the image; with --repo, --image names it") }
        if update != nil, repo == nil { throw ValidationError("--update names a commit of --repo") }
        if repoGpgKey != nil, repo == nil { throw ValidationError("--repo-gpg-key goes with --repo") }
        if update != nil, updateTreefile != nil { throw ValidationError("give --update or --update-treefile, not both") }
    }

    func run() throws {
        let started = Date()
        let layout = try projectLayout(project)
        let overrides = try parameterValues()
        let catalog = try TestCatalog.load(project: layout, externalDirectories: externalDirectories.map(absolute),
                                           scenarioDirectories: scenarioDirectories.map(absolute), parameters: overrides)
        catalog.warnings.forEach(Console.warning)
        let selection = try catalog.select(patterns: patterns, tags: tag, parameters: Array(overrides.keys))
        guard !selection.isEmpty else { throw ValidationError("no test has the tags \(tag.joined(separator: ", "))") }
        var options = RunOptions()
        options.parallel = parallel
        options.rerunFailed = rerunFailed
        options.multiply = multiply
        options.denylist = try denylist.map { try Denylist.load(absolute($0)) }
        options.kolaTarget = KolaTarget(distribution: distro, tags: tag, patterns: patterns)
        Console.progress("Running \(selection.count) test(s): \(selection.map(\.name).joined(separator: ", "))")

        try Machine.destroyLeftovers(stateDirectory: state.path, connectURI: connect)
        let channelKind: ChannelKind = channel == "ssh" ? .ssh(identity: try SSHKey.ofState(state.path).privateKeyPath) : .agent
        let authorizedKeys = channel == "ssh" ? [try SSHKey.ofState(state.path).publicKey] : []
        var image: TestImage
        var updateCommit: String?
        if let repo, let imageName {
            let source = CommitSource(repository: repo.contains("://") ? repo : absolute(repo), image: imageName, update: update,
                                      gpgKey: repoGpgKey.map(absolute))
            (image, updateCommit) = try source.resolve(stateDirectory: state.path, channel: channelKind, authorizedKeys: authorizedKeys)
        } else {
            let composed = try TestImage.composing(treefile: absolute(treefile ?? layout.defaultTreefile), stateDirectory: state.path)
            image = TestImage(ref: composed.ref, commit: composed.commit, authorizedKeys: authorizedKeys)
        }
        if let updateTreefile {
            updateCommit = try TestImage.composing(treefile: absolute(updateTreefile), stateDirectory: state.path).commit
        }
        // Bad commits and treefiles are refused above, before anything is written here.
        let outputDirectory = try makeOutputDirectory(output, kind: "run")
        Console.progress("Output: \(outputDirectory)")
        try image.prepare(stateDirectory: state.path)
        let environment = try RunEnvironment(project: layout, stateDirectory: state.path, image: image,
                                             outputDirectory: outputDirectory, connectURI: connect, keepFailed: keepFailed,
                                             channel: channelKind, client: client.flatMap(GuestClient.init(rawValue:)),
                                             imageIsDefault: repo == nil && treefile == nil, update: updateCommit,
                                             restoresFirstBoots: !noRestore,
                                             vcpus: vcpus ?? RunEnvironment.defaultVCPUs(parallel: parallel))
        defer { environment.finish() }
        let results = TestScheduler(environment: environment, options: options).run(selection)
        let run = RunResult(startedAt: started, duration: Date().timeIntervalSince(started), image: image.path,
                            commit: image.commit, parallel: parallel, tests: results)
        try RunReports.write(run, to: outputDirectory)
        do { try RunHistory.append(run, stateDirectory: state.path) } catch {
            Console.warning("the run is not in the history (harness history): \(error)")
        }
        report(run, outputDirectory: outputDirectory)
        if json { try JSONOutput.print(run) }
        if !run.failed.isEmpty { throw ExitCode.failure }
    }

    /// `--param NAME=VALUE`s by name.
    private func parameterValues() throws -> [String: String] {
        var values: [String: String] = [:]
        for parameter in parameters {
            guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex else {
                throw ValidationError("--param '\(parameter)': expected NAME=VALUE")
            }
            values[String(parameter[..<equals])] = String(parameter[parameter.index(after: equals)...])
        }
        return values
    }

    /// The summary on stderr: each failure with its console evidence, then the totals.
    private func report(_ run: RunResult, outputDirectory: String) {
        for result in run.failed {
            Console.error("\(result.displayName) failed: \(result.failure ?? "")")
            if let excerpt = result.consoleExcerpt {
                Console.progress("Console of \(result.displayName) at the failure:\n" + excerpt.split(separator: "\n").map { "  | " + $0 }.joined(separator: "\n"))
            }
            Console.progress("Artifacts: \(outputDirectory)/\(result.artifactsDirectory)")
        }
        let count = { (status: TestResult.Status) in run.tests.filter { $0.status == status }.count }
        for rate in run.passRates { Console.progress("\(rate.name): \(rate.summary)") }
        let flaky = run.tests.filter(\.flaky).count
        Console.progress(String(format: "%d passed%@, %d failed, %d skipped in %.0f s; report: %@/report.html",
                                count(.passed), flaky > 0 ? " (\(flaky) flaky)" : "", count(.failed), count(.skipped),
                                run.duration, outputDirectory))
    }
}

/// The checkout holding scenarios/: `explicit`, or found from the current directory or the
/// harness executable (in a checkout's `.build`, or installed by `scripts/install.sh` with
/// `../share/harness` beside its directory).
func projectLayout(_ explicit: String?) throws -> ProjectLayout {
    if let explicit { return ProjectLayout(root: absolute(explicit)) }
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    return try ProjectLayout.find(from: [FileManager.default.currentDirectoryPath, executable, executable + "/../share/harness"])
}
