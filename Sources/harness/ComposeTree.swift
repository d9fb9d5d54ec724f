import ArgumentParser
import Compose
import Foundation
import ToolSupport
import Treefile

/// `harness compose tree`: what `rpm-ostree compose tree --unified-core` does.
struct ComposeTree: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "Compose a treefile into an OSTree commit.",
        discussion: """
            Prints the commit checksum on stdout; progress goes to stderr. When nothing changed \
            since the ref's last commit (same input hash), no commit is written and the existing \
            checksum is printed. With SOURCE_DATE_EPOCH set, it is the commit's timestamp and the \
            rpmdb's install time, and scriptlets get it: the same inputs give the same commit.
            """)

    @OptionGroup var state: StateOptions

    @Option(help: "OSTree repository to commit into (created as archive-mode if missing; default: STATE/repo).")
    var repo: String?

    @Option(help: "Package cache and metadata directory (default: STATE/cache).")
    var cachedir: String?

    @Flag(help: "Commit even if the inputs did not change, assembling every package (no incremental assembly from the previous commit).")
    var forceNocache = false

    @Flag(help: "Resolve the package set, print it and stop.")
    var dryRun = false

    @Flag(help: "Print the flattened treefile as JSON and stop.")
    var printOnly = false

    @Option(help: "Write {ref, commit, version, inputhash, packages} as JSON to this file.")
    var writeComposejsonTo: String?

    @Option(name: .customLong("ex-lockfile"), help: ArgumentHelp("Take the packages of this rpm-ostree lockfile at their locked versions and digests; repeatable, later ones win.", valueName: "file"))
    var lockfiles: [String] = []

    @Flag(name: .customLong("ex-lockfile-strict"), help: "Take only packages the lockfiles name.")
    var lockfileStrict = false

    @Option(name: .customLong("ex-write-lockfile-to"), help: ArgumentHelp("Write the lockfile of the resolved packages here.", valueName: "file"))
    var writeLockfileTo: String?

    @Option(name: .customLong("var"), help: "Set a treefile variable (K=V), as rpm-ostree's --var.")
    var variables: [String] = []

    @Option(help: "Compose architecture.")
    var basearch = "x86_64"

    @OptionGroup var signing: SigningOptions

    @Flag(name: .shortAndLong, help: "No progress output.")
    var quiet = false

    @Argument(help: "The treefile (YAML or JSON).")
    var treefile: String

    func run() throws {
        Console.showsProgress = !quiet
        var values: [String: String] = [:]
        for assignment in variables {
            let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--var expects K=V, got '\(assignment)'")
            }
            values[parts[0]] = parts[1]
        }
        let treefilePath = absolute(treefile)
        if printOnly {
            let loaded = try TreefileLoader(basearch: basearch, variables: values).load(treefilePath)
            print(try loaded.flattenedJSON())
            return
        }
        var options = ComposeOptions(repository: absolute(repo ?? state.path + "/repo"),
                                     cacheDirectory: absolute(cachedir ?? state.path + "/cache"))
        options.forceNoCache = forceNocache
        options.dryRun = dryRun
        options.variables = values
        options.basearch = basearch
        options.signer = signing.signer
        if !lockfiles.isEmpty { options.lockfile = try Lockfile.read(lockfiles.map(absolute)) }
        if lockfileStrict, lockfiles.isEmpty { throw ValidationError("--ex-lockfile-strict needs --ex-lockfile") }
        options.lockfileStrict = lockfileStrict
        options.writeLockfileTo = writeLockfileTo.map(absolute)
        if let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"] {
            guard let seconds = UInt64(epoch) else {
                throw ValidationError("SOURCE_DATE_EPOCH: '\(epoch)' is not a count of seconds since 1970")
            }
            options.sourceDateEpoch = seconds
        }
        let result = try Composer(options: options).compose(treefilePath: treefilePath)
        if dryRun { result.packages.forEach { print($0) } } else { print(result.commit) }
        if let path = writeComposejsonTo {
            try JSONOutput.write(result, to: absolute(path))
        }
    }
}
