/// Packages with triggers of every kind, as spec texts for `FixtureRepository.build(specTexts:)`:
/// `trig-target` (two files under /usr/share/trig, a Lua `%post`), `trig-owner` (requires it;
/// `%triggerin` with version conditions, the erase forms of every kind, `%filetriggerin`,
/// `%transfiletriggerin`, `%post`, `%posttrans`) and `trig-late` (requires the owner; a
/// `%triggerin` on it, a Lua `%filetriggerin` reading `rpm.next_file()`, a transaction file
/// trigger of higher priority, `%preun` and `%postun`). Every script appends what it saw to
/// /usr/lib/trig.log.
public enum TriggerFixtures {
    public static let specs: [String: String] = [
        "trig-target": """
            Name: trig-target
            Version: 1.0
            Release: 1
            Summary: triggered
            License: MIT
            BuildArch: noarch
            %description
            The package the others' triggers name.
            %install
            mkdir -p %{buildroot}/usr/share/trig
            echo a > %{buildroot}/usr/share/trig/a.txt
            echo b > %{buildroot}/usr/share/trig/b.txt
            %post -p <lua>
            local log = io.open("/usr/lib/trig.log", "a")
            log:write("post trig-target " .. arg[2] .. "\\n")
            log:close()
            %files
            /usr/share/trig/a.txt
            /usr/share/trig/b.txt
            """,
        "trig-owner": """
            Name: trig-owner
            Version: 1.0
            Release: 1
            Summary: triggers
            License: MIT
            BuildArch: noarch
            Requires: trig-target
            %description
            Triggers of every kind.
            %install
            mkdir -p %{buildroot}/usr/share/trig
            echo owner > %{buildroot}/usr/share/trig/owner.txt
            %post
            echo "post trig-owner $1" >> /usr/lib/trig.log
            %posttrans
            echo "posttrans trig-owner $1" >> /usr/lib/trig.log
            %triggerin -- trig-target < 2.0
            echo "triggerin trig-owner on trig-target < 2.0: $1 $2" >> /usr/lib/trig.log
            %triggerin -- trig-late >= 2.0
            echo "never: trig-late is 1.0" >> /usr/lib/trig.log
            %triggerun -- trig-late
            echo "triggerun trig-owner on trig-late $1 $2" >> /usr/lib/trig.log
            %triggerpostun -- trig-late
            echo "triggerpostun trig-owner on trig-late $1 $2" >> /usr/lib/trig.log
            %filetriggerun -- /usr/share/trig
            echo "filetriggerun trig-owner $1:" >> /usr/lib/trig.log
            cat >> /usr/lib/trig.log
            %filetriggerpostun -- /usr/share/trig
            echo "filetriggerpostun trig-owner $1:" >> /usr/lib/trig.log
            cat >> /usr/lib/trig.log
            %transfiletriggerun -- /usr/share
            echo "transfiletriggerun trig-owner $1:" >> /usr/lib/trig.log
            cat >> /usr/lib/trig.log
            %transfiletriggerpostun -- /usr/share
            echo "transfiletriggerpostun trig-owner $1:" >> /usr/lib/trig.log
            cat >> /usr/lib/trig.log
            %filetriggerin -- /usr/share/trig
            echo "filetriggerin trig-owner $1:" >> /usr/lib/trig.log
            cat >> /usr/lib/trig.log
            %transfiletriggerin -- /usr/share
            echo "transfiletriggerin trig-owner $1:" >> /usr/lib/trig.log
            cat >> /usr/lib/trig.log
            %files
            /usr/share/trig/owner.txt
            """,
        "trig-late": """
            Name: trig-late
            Version: 1.0
            Release: 1
            Summary: triggered late
            License: MIT
            BuildArch: noarch
            Requires: trig-owner
            %description
            Installed after the trigger's owner; a transaction file trigger of higher priority,
            which rpm 4.18 still runs after the owner's.
            %install
            mkdir -p %{buildroot}/usr/share/trig %{buildroot}/usr/share/other
            echo late > %{buildroot}/usr/share/trig/late.txt
            echo other > %{buildroot}/usr/share/other/other.txt
            %post
            echo "post trig-late $1" >> /usr/lib/trig.log
            %preun
            echo "preun trig-late $1" >> /usr/lib/trig.log
            %postun
            echo "postun trig-late $1" >> /usr/lib/trig.log
            %triggerin -- trig-owner
            echo "triggerin trig-late on trig-owner $1 $2" >> /usr/lib/trig.log
            %filetriggerin -p <lua> -- /usr/share/trig
            local count = 0
            while rpm.next_file() do count = count + 1 end
            local log = io.open("/usr/lib/trig.log", "a")
            log:write("lua filetriggerin trig-late: " .. count .. " files\\n")
            log:close()
            %transfiletriggerin -P 2000000 -- /usr/share/other
            echo "transfiletriggerin trig-late $1:" >> /usr/lib/trig.log
            cat >> /usr/lib/trig.log
            %files
            /usr/share/trig/late.txt
            /usr/share/other/other.txt
            """,
    ]

    /// What the scripts log, installed together on the busybox base (as `rpm -i` logs it).
    public static let expectedLog = """
        post trig-target 1
        filetriggerin trig-owner 0:
        /usr/share/trig/owner.txt
        filetriggerin trig-owner 0:
        /usr/share/trig/a.txt
        /usr/share/trig/b.txt
        post trig-owner 1
        triggerin trig-owner on trig-target < 2.0: 1 1
        filetriggerin trig-owner 0:
        /usr/share/trig/late.txt
        lua filetriggerin trig-late: 1 files
        lua filetriggerin trig-late: 3 files
        post trig-late 1
        triggerin trig-late on trig-owner 1 1
        posttrans trig-owner 1
        transfiletriggerin trig-owner 0:
        /usr/share/trig/a.txt
        /usr/share/trig/b.txt
        /usr/share/trig/owner.txt
        /usr/share/other/other.txt
        /usr/share/trig/late.txt
        transfiletriggerin trig-late 0:
        /usr/share/other/other.txt

        """

    /// What erasing trig-late after installing all three adds to the log (as `rpm -e` logs it).
    public static let eraseLog = """
        transfiletriggerun trig-owner 0:
        /usr/share/other/other.txt
        /usr/share/trig/late.txt
        filetriggerun trig-owner 0:
        /usr/share/trig/late.txt
        triggerun trig-owner on trig-late 1 0
        preun trig-late 0
        filetriggerpostun trig-owner 0:
        /usr/share/trig/late.txt
        postun trig-late 0
        triggerpostun trig-owner on trig-late 1 0
        transfiletriggerpostun trig-owner 0:

        """
}
