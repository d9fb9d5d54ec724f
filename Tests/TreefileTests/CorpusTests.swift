import Foundation
import Testing
import TestSupport
import Treefile

/// `../shared/treefiles-corpus` beside the package (164 real treefiles, see its README.md), or nil.
private let corpusDirectory: String? = TestPaths.sharedDirectory
    .map { $0 + "/treefiles-corpus" }
    .flatMap { FileManager.default.fileExists(atPath: $0 + "/README.md") ? $0 : nil }

/// Real-world treefiles: every one must load or fail for a reason we can name, and the roots
/// whose outcome treefile-includes.md works out must come out exactly so.
@Suite(.enabled(if: corpusDirectory != nil, "no treefile corpus at ../shared/treefiles-corpus beside the package"))
struct CorpusTests {
    private let corpus = corpusDirectory ?? ""

    /// Each YAML/JSON file in the corpus, roots and fragments alike, loaded as a root.
    @Test func everyTreefileFlattensOrFailsForAKnownReason() throws {
        let files = (FileManager.default.enumerator(atPath: corpus)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }
            .sorted()
        #expect(files.count >= 164)
        var flattened = 0
        for file in files {
            let path = corpus + "/" + file
            do {
                let treefile = try TreefileLoader().load(path)
                #expect(try !treefile.flattenedJSON().isEmpty)
                flattened += 1
            } catch let error as TreefileError {
                expectKnownReason(error, loading: path)
            } catch {
                Issue.record("\(file): not a TreefileError: \(error)")
            }
        }
        #expect(flattened >= 100, "only \(flattened) of \(files.count) corpus treefiles flattened")
    }

    /// A failure is known when it names an include or other file that really is absent, a
    /// variable that only a build script would define, or a symlink that this copy of the
    /// corpus holds as a one-line file.
    private func expectKnownReason(_ error: TreefileError, loading root: String) {
        let rootDirectory = (root as NSString).deletingLastPathComponent
        let failingFile = error.file.map { $0.hasPrefix("/") ? $0 : rootDirectory + "/" + $0 }
        switch error.kind {
        case .missingFile:
            let parts = error.message.split(separator: "'", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[2] == " not found", let failingFile else {
                Issue.record("\(root): missing-file error names no file: \(error)")
                return
            }
            let named = (failingFile as NSString).deletingLastPathComponent + "/" + parts[1]
            #expect(!FileManager.default.fileExists(atPath: named), "\(error), yet \(named) exists")
        case .undefinedVariable:
            #expect(error.message.hasPrefix("conditional-include: undefined variable '"), "\(error)")
        case .syntax:
            let text = failingFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            let target = ((failingFile ?? "") as NSString).deletingLastPathComponent + "/" + text
            #expect(!text.contains("\n") && FileManager.default.fileExists(atPath: target),
                    "\(root): syntax error in a file that is not a symlink stored as a file: \(error)")
        default:
            Issue.record("\(root): unexpected failure: \(error)")
        }
    }

    @Test func fedoraCoreOSManifestFlattensWithTheWorkedOutPostprocessOrder() throws {
        let treefile = try TreefileLoader().load(corpus + "/fedora-coreos-config/manifest.yaml")
        #expect(treefile.ref == "fedora/x86_64/coreos/testing-devel")
        #expect(treefile.releasever == "40")
        #expect(treefile.recommends == false)
        // One distinctive line per script: bootupd, ignition-and-ostree, system-configuration,
        // fedora-coreos-base (4), fedora-coreos (3).
        let markers = [
            "generate-update-metadata", "systemctl preset-all", "systemd-repart.service",
            "container_use_cephfs", "dnsmasq.service", "ip6tables-nft", "ssh-host-keys-migration",
            "95-disable-on-dev.toml", "/tmp/rpm-ostreed.conf", "list_broken_symlinks_folders",
        ]
        #expect(treefile.postprocess.count == markers.count)
        for (script, marker) in zip(treefile.postprocess, markers) {
            #expect(script.contains(marker), "expected the script with '\(marker)' here")
        }
        #expect(treefile.packages.contains("moby-engine"))
        #expect(treefile.packages.contains("amd-ucode-firmware"))
        #expect(!treefile.packages.contains("librtas"))
        // releasever 40 < 41: exclude-dnf.yaml, not include-dnf.yaml.
        #expect(treefile.excludePackages.contains("dnf5"))
        #expect(!treefile.packages.contains("dnf5"))
        #expect(treefile.externalFiles.contains(corpus + "/fedora-coreos-config/manifests/passwd"))
        #expect(treefile.unimplementedKeys.contains("ostree-layers"))
        let json = try treefile.flattenedJSON()
        #expect(json.contains("\"fedora-coreos.stream\": \"testing-devel\""))
        #expect(json.contains("\"automatic-version-prefix\": \"40.<date:%Y%m%d>.dev\""))
    }

    @Test func fedoraCoreOSManifestForAarch64TakesThatArchsPackages() throws {
        let treefile = try TreefileLoader(basearch: "aarch64").load(corpus + "/fedora-coreos-config/manifest.yaml")
        #expect(treefile.ref == "fedora/aarch64/coreos/testing-devel")
        #expect(treefile.packages.contains("qemu-user-static-x86"))
        #expect(!treefile.packages.contains("amd-ucode-firmware"))
    }

    @Test func rhelCoreOSNeedsOSVersionFromOutside() throws {
        let path = corpus + "/rhel-coreos-config/manifest-rhel-9.8.yaml"
        let undefined = #expect(throws: TreefileError.self) { try TreefileLoader().load(path) }
        #expect(undefined?.description == "common.yaml: conditional-include: undefined variable 'osversion'")
        // With the variable given, the walk goes on to the fedora-coreos-config submodule,
        // which the corpus does not have.
        let missing = #expect(throws: TreefileError.self) {
            try TreefileLoader(variables: ["osversion": "rhel-9.8"]).load(path)
        }
        #expect(missing?.description == "common.yaml: include 'fedora-coreos-config/manifests/shared-el.yaml' not found")
    }

    @Test func openShiftC9SIncludesItsCommentsOnlyOverrides() throws {
        let treefile = try TreefileLoader().load(corpus + "/openshift-os@release-4.17/manifest-c9s.yaml")
        #expect(treefile.variables["osversion"] == .string("c9s"))
        #expect(treefile.externalFiles.contains(corpus + "/openshift-os@release-4.17/overrides-c9s.yaml"))
    }

    @Test func jsonTreefilesIgnoreUnknownKeysAndNeedTheirPostprocessScript() throws {
        let snapshot = corpus + "/workstation-ostree-config@jcpowermac-master"
        let packages = try TreefileLoader().load(snapshot + "/fedora-common-ostree-pkgs.json")
        #expect(!packages.packages.isEmpty)
        #expect(!(try packages.flattenedJSON().contains("comment")))
        let missing = #expect(throws: TreefileError.self) { try TreefileLoader().load(snapshot + "/silverblue.json") }
        #expect(missing?.description == "fedora-common-ostree.json: postprocess-script 'post.sh' not found")
    }

    /// centos-bootc's tier-1 reaches tier-0's manifest through a symlink, and that manifest's
    /// includes and check-passwd file are then looked up in tier-1 (treefile-includes.md §3).
    @Test func symlinkedManifestResolvesItsIncludesWhereTheLinkIs() throws {
        let copy = try CorpusCopy(of: corpus + "/centos-bootc@pre-submodule")
        #expect(copy.restoredLinks.contains("tier-1/manifest-tier-0.yaml"))
        let treefile = try TreefileLoader().load(copy.directory + "/tier-1/manifest.yaml")
        #expect(treefile.externalFiles.contains(copy.directory + "/tier-1/manifest-tier-0.yaml"))
        #expect(treefile.externalFiles.contains(copy.directory + "/tier-1/bootc.yaml"))
        #expect(treefile.externalFiles.contains(copy.directory + "/tier-1/passwd"))
        #expect(!treefile.externalFiles.contains { $0.hasPrefix(copy.directory + "/tier-0/") })
        #expect(treefile.recommends == true)
    }
}
