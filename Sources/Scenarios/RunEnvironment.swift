import Compose
import Foundation
import ImageBuild
import Kola
import Machine
import Publish
import ToolSupport

/// What the tests of one `harness run` share: the checkout, the state directory, the image
/// under test, and the composes and update disks the scenarios ask for, each made once.
public final class RunEnvironment: @unchecked Sendable {
    public let project: ProjectLayout
    public let stateDirectory: String
    public let image: TestImage
    public let outputDirectory: String
    /// A libvirt URI; nil for the embedded driver.
    public let connectURI: String?
    /// Keep a failed test's disk (`OUTPUT/TEST/disk.qcow2`) to boot again with `harness spawn`.
    public let keepFailed: Bool
    /// How the tests reach their guests.
    public let channel: ChannelKind
    /// The client `upgrade`, `rollback` and `kargs` steps use; nil: the one the guest has.
    public let client: GuestClient?
    /// Whether the image under test is the default image (with treectl and the fixture
    /// packages): scenarios tagged `default-image` are skipped on any other.
    public let imageIsDefault: Bool
    /// Whether a test's first boot of the image under test may be a restore of the image's
    /// saved first boot (`--no-restore` says no).
    public let restoresFirstBoots: Bool
    /// vCPUs per guest.
    public let vcpus: Int
    /// Boots the machines: `Machine.boot`, a fake in unit tests.
    let launch: MachineLauncher

    /// Update disks and the like, removed by `finish()` (and on Ctrl-C).
    let scratch: TemporaryDirectory
    private let lock = NSLock()
    private var composes: [String: String]
    private var updateDisks: [String: String] = [:]
    private var imageVariants: [[String]: String] = [:]
    private var externalTests: [ExternalTest] = []
    private var externalDisk: String?
    private var updateServerImagePath: String?

    public init(project: ProjectLayout, stateDirectory: String, image: TestImage, outputDirectory: String,
                connectURI: String?, keepFailed: Bool, channel: ChannelKind = .agent, client: GuestClient? = nil,
                imageIsDefault: Bool = true, update: String? = nil, restoresFirstBoots: Bool = true,
                vcpus: Int = 2, launch: @escaping MachineLauncher = { try Machine.boot($0) }) throws {
        scratch = try TemporaryDirectory(prefix: "harness-run-")
        self.project = project
        self.stateDirectory = stateDirectory
        self.image = image
        self.outputDirectory = outputDirectory
        self.connectURI = connectURI
        self.keepFailed = keepFailed
        self.channel = channel
        self.client = client
        self.imageIsDefault = imageIsDefault
        self.restoresFirstBoots = restoresFirstBoots
        self.vcpus = vcpus
        self.launch = launch
        composes = ["image": image.commit]
        if let update { composes["update"] = update }
    }

    /// Why `entry` cannot run on this image, if it cannot.
    func skipReason(for entry: TestEntry) -> String? {
        guard !imageIsDefault, entry.tags.contains(Self.defaultImageTag) else { return nil }
        return "needs the default image (treectl and the fixture packages); the image under test is \(image.ref)"
    }

    /// The tag of scenarios that check what only the default image has.
    static let defaultImageTag = "default-image"
    /// The tag of tests that check the first boot itself: their machines always boot.
    static let firstBootTag = "first-boot"

    /// The commit of compose `name`: `image` is the image's; `update` is the run's update
    /// (`harness run --update`, or else `next`); any other name is
    /// `scenarios/treefiles/NAME.yaml`, composed on first use.
    public func commit(ofCompose name: String) throws -> String {
        try lock.withLock {
            if let commit = composes[name] { return commit }
            if name == "update" && !imageIsDefault {
                throw ScenarioError("the scenario delivers the update, and this run has none: give --update or --update-treefile")
            }
            let treefile = project.scenarioTreefilesDirectory + "/\(name == "update" ? "next" : name).yaml"
            guard FileManager.default.fileExists(atPath: treefile) else {
                throw ScenarioError("no compose named '\(name)': \(treefile) does not exist")
            }
            Console.progress("Composing \(name) (\(treefile))")
            let result = try Composer(options: TestImage.composeOptions(stateDirectory: stateDirectory))
                .compose(treefilePath: treefile)
            composes[name] = result.commit
            return result.commit
        }
    }

    /// An update disk with compose `name`'s commit on the image's ref, and every package of
    /// the state's local repositories in `rpms/`; written once per run.
    public func updateDisk(for name: String) throws -> String {
        let commit = try commit(ofCompose: name)
        return try lock.withLock {
            if let disk = updateDisks[name] { return disk }
            let disk = scratch.path + "/updates-\(name).img"
            try UpdateDisk(repository: stateDirectory + "/repo", refs: [UpdateDisk.Ref(image.ref, from: commit)],
                           rpmRepositories: localRPMRepositories(), output: disk).write()
            updateDisks[name] = disk
            return disk
        }
    }

    /// The rpm-md repositories the composes built from `local-repos:` scripts.
    private func localRPMRepositories() throws -> [String] {
        let parent = stateDirectory + "/cache/local-repos"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        return names.sorted().map { parent + "/" + $0 }
            .filter { FileManager.default.fileExists(atPath: $0 + "/repodata/repomd.xml") }
    }

    /// The image under test, with `kernelArguments` added when there are any (built once).
    public func imagePath(kernelArguments: [String]) throws -> String {
        guard !kernelArguments.isEmpty else { return image.path }
        return try lock.withLock {
            if let path = imageVariants[kernelArguments] { return path }
            let path = try image.build(kernelArguments: kernelArguments, stateDirectory: stateDirectory)
            imageVariants[kernelArguments] = path
            return path
        }
    }

    /// Where the image of scenarios that publish finds its update server: the guest's end of
    /// the reverse forward to the test's HTTP server.
    static let updateServerURL = "http://127.0.0.1:\(updateServerGuestPort)/repo"
    static let updateServerGuestPort = 8080

    /// The image under test with its remote at `updateServerURL`, verifying commits and the
    /// summary with the run's publishing key, and root's `authorized_keys` holding the state's
    /// SSH key (for the reverse forward); built once.
    func updateServerImage() throws -> String {
        let key = try PublishingKey.ofState(stateDirectory)
        let sshKey = try SSHKey.ofState(stateDirectory)
        return try lock.withLock {
            if let updateServerImagePath { return updateServerImagePath }
            var variant = image
            if !variant.authorizedKeys.contains(sshKey.publicKey) { variant.authorizedKeys.append(sshKey.publicKey) }
            let path = try variant.build(kernelArguments: [], stateDirectory: stateDirectory,
                                         updateServer: (Self.updateServerURL, key.publicKeyPath))
            updateServerImagePath = path
            return path
        }
    }

    /// The live installer ISO of the image's commit (`--platform live-iso`) and the metal
    /// image it installs, built on first use and kept under `STATE/images/COMMIT-installer`.
    public func installerBuild() throws -> (iso: String, metal: String) {
        try lock.withLock {
            let directory = stateDirectory + "/images/\(image.commit)-installer"
            func paths(_ built: BuildMetadata) -> (iso: String, metal: String)? {
                guard built.commit == image.commit, let iso = built.images["live-iso"], let metal = built.images["metal"] else { return nil }
                return (directory + "/" + iso.path, directory + "/" + metal.path)
            }
            if let built = try? BuildMetadata.read(directory: directory), let found = paths(built) {
                Console.progress("Installer of \(image.commit.prefix(12)) cached: \(directory)")
                return found
            }
            var options = ImageOptions(repository: stateDirectory + "/repo", ref: image.ref, output: directory)
            options.platforms = [.metal]
            options.liveISO = true
            options.osName = image.osName
            options.authorizedKeys = image.authorizedKeys
            try ImageBuilder(options: options).build()
            guard let found = paths(try BuildMetadata.read(directory: directory)) else {
                throw ScenarioError("\(directory): the image build wrote no live-iso or metal image")
            }
            return found
        }
    }

    /// The kola tests of this run, for the disk that carries them into the guests.
    func setExternalTests(_ tests: [ExternalTest]) {
        lock.withLock { externalTests = tests }
    }

    /// The disk carrying this run's kola tests, written on first use.
    func externalTestDisk() throws -> String {
        try lock.withLock {
            if let externalDisk { return externalDisk }
            let path = scratch.path + "/kola-tests.img"
            try ExternalTestRunner.writeDisk(for: externalTests, to: path)
            externalDisk = path
            return path
        }
    }

    /// Removes what the run made for itself (update disks).
    public func finish() {
        scratch.remove()
    }

    /// How to boot `image` with `memoryMiB`, on this run's libvirt.
    func spawnOptions(image: String, memoryMiB: Int) -> SpawnOptions {
        var options = SpawnOptions(image: image, stateDirectory: stateDirectory)
        options.connectURI = connectURI
        options.memoryMiB = memoryMiB
        options.vcpus = vcpus
        options.channel = channel
        return options
    }

    /// Two vCPUs per guest, or one when `parallel` guests of two would have more vCPUs than
    /// the host has cores: under TCG every vCPU is a host thread spinning on a core, and a
    /// guest starved of one for 20 s reports a soft lockup.
    public static func defaultVCPUs(parallel: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> Int {
        parallel * 2 > cores ? 1 : 2
    }
}
