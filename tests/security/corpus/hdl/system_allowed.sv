// ATTACK (with --allow-unsafe $system, Verilator --binary): the gate lets $system through
// and the compiled model runs a shell that tries to write canaries under /tmp, /var/tmp,
// /root and the repo, lists /root (where secrets live) into the work dir and tries to
// read a secret file the harness put in /root (@SECRET@).
// EXPECT: no canary on the host; /root shows none of the host's files (hidden dir) and
// the secret cannot be read.
module system_allowed;
  initial begin
    $system("touch @CANARY_TMP@ @CANARY_VARTMP@ @CANARY_ROOT@ @CANARY_REPO@ 2>/dev/null; ls -A /root > root_listing.txt; cat @SECRET@ > secret_read.txt 2>&1; echo HOSTILE-RAN");
    $finish;
  end
endmodule
