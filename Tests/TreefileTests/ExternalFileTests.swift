import Foundation
import Testing
import Treefile

/// Files a treefile names besides its includes: postprocess-script, add-files sources,
/// check-passwd files, kickstarts; and `externalFiles`, which lists every file read.
@Suite struct ExternalFileTests {
    @Test func postprocessScriptIsResolvedBesideItsTreefileAndTheIncluderWins() throws {
        let fixture = try TreefileFixture()
        try fixture.write("root.yaml", "include: [sub/a.yaml, b.yaml]\n")
        try fixture.write("sub/a.yaml", "postprocess-script: post.sh\n")
        try fixture.write("sub/post.sh", "#!/bin/sh\n")
        try fixture.write("b.yaml", "postprocess-script: other.sh\n")
        try fixture.write("other.sh", "#!/bin/sh\n")
        let treefile = try fixture.load("root.yaml")
        #expect(treefile.postprocessScript == fixture.path("sub/post.sh"))
        #expect(treefile.externalFiles == [
            fixture.path("root.yaml"), fixture.path("sub/a.yaml"), fixture.path("sub/post.sh"),
            fixture.path("b.yaml"), fixture.path("other.sh"),
        ])
    }

    @Test func missingPostprocessScriptIsAnError() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "postprocess-script: post.sh\n")
        let error = fixture.loadError("a.yaml")
        #expect(error?.kind == .missingFile)
        #expect(error?.description == "a.yaml: postprocess-script 'post.sh' not found")
    }

    @Test func addFilesAreConcatenatedWithAbsoluteSources() throws {
        let fixture = try TreefileFixture()
        try fixture.write("root.yaml", "include: sub/a.yaml\nadd-files: [[motd, /etc/motd]]\n")
        try fixture.write("motd", "hello\n")
        try fixture.write("sub/a.yaml", "add-files: [[tool.conf, /usr/lib/tool.conf]]\n")
        try fixture.write("sub/tool.conf", "x=1\n")
        let treefile = try fixture.load("root.yaml")
        #expect(treefile.addFiles == [
            AddFile(source: fixture.path("sub/tool.conf"), destination: "/usr/lib/tool.conf"),
            AddFile(source: fixture.path("motd"), destination: "/etc/motd"),
        ])
    }

    @Test func missingAddFilesSourceIsAnError() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "add-files: [[nothere, /etc/nothere]]\n")
        #expect(fixture.loadError("a.yaml")?.description == "a.yaml: add-files source 'nothere' not found")
    }

    @Test func addFilesDestinationMustBeUnderUsrOrEtc() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "add-files: [[motd, /var/motd]]\n")
        try fixture.write("motd", "hello\n")
        #expect(fixture.loadError("a.yaml")?.kind == .invalidValue)
    }

    @Test func checkPasswdFileMustExist() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", "check-passwd: {type: file, filename: passwd}\n")
        #expect(fixture.loadError("a.yaml")?.description == "a.yaml: check-passwd file 'passwd' not found")
        try fixture.write("passwd", "root:x:0:0::/root:/bin/bash\n")
        #expect(try fixture.load("a.yaml").externalFiles.contains(fixture.path("passwd")))
    }

    @Test func inlineTreefileCannotNameExternalFiles() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.yaml", """
            conditional-include:
              - if: basearch == "x86_64"
                include: {postprocess-script: post.sh}
            """)
        try fixture.write("post.sh", "")
        #expect(fixture.loadError("a.yaml")?.kind == .invalidValue)
    }

    @Test func kickstartPackagesAndIncludes() throws {
        let fixture = try TreefileFixture()
        try fixture.write("root.yaml", "include: packages.ks\nref: r\n")
        try fixture.write("packages.ks", """
            # Base packages
            %packages --exclude-weakdeps
            bash
              vim-minimal
            -nano
            %end
            %include more.ks
            """)
        try fixture.write("more.ks", "%packages\nkernel\n%end\n")
        let treefile = try fixture.load("root.yaml")
        #expect(treefile.packages == ["bash", "kernel", "vim-minimal"])
        #expect(treefile.excludePackages == ["nano"])
        #expect(treefile.recommends == false)
        #expect(treefile.externalFiles == [fixture.path("root.yaml"), fixture.path("packages.ks"), fixture.path("more.ks")])
    }

    @Test func unsupportedKickstartCommandNamesTheFile() throws {
        let fixture = try TreefileFixture()
        try fixture.write("a.ks", "lang en_US.UTF-8\n")
        let error = fixture.loadError("a.ks")
        #expect(error?.kind == .unsupported)
        #expect(error?.description == "a.ks: unsupported kickstart command 'lang' (only %packages and %include are read)")
    }

    @Test func missingRootTreefileIsAnError() throws {
        let fixture = try TreefileFixture()
        #expect(fixture.loadError("nothere.yaml")?.kind == .missingFile)
    }
}
