// ATTACK (with --allow-unsafe $fopen): the gate is told to let $fopen through, so the
// REAL simulator opens absolute host paths for writing: /tmp, /var/tmp, /root and the
// repo (uuid canaries @CANARY_TMP@ etc.).
// EXPECT: under an isolating sandbox none of them appears on the host: /tmp and /root
// are private tmpfs, everything else is read-only. Prints the descriptors so the
// harness can see the simulation really ran.
module fopen_allowed_abs;
  integer f_tmp, f_vartmp, f_root, f_repo;
  initial begin
    f_tmp = $fopen("@CANARY_TMP@", "w");
    f_vartmp = $fopen("@CANARY_VARTMP@", "w");
    f_root = $fopen("@CANARY_ROOT@", "w");
    f_repo = $fopen("@CANARY_REPO@", "w");
    if (f_tmp != 0) $fdisplay(f_tmp, "escaped");
    if (f_vartmp != 0) $fdisplay(f_vartmp, "escaped");
    if (f_root != 0) $fdisplay(f_root, "escaped");
    if (f_repo != 0) $fdisplay(f_repo, "escaped");
    $display("HOSTILE-RAN fds tmp=%0d vartmp=%0d root=%0d repo=%0d", f_tmp != 0, f_vartmp != 0,
             f_root != 0, f_repo != 0);
    $finish;
  end
endmodule
