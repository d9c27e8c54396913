// ATTACK: $fopen an absolute host path for writing (here a uuid file under /tmp).
// EXPECT: refused by the static gate: the path leaves the work dir.
module fopen_abs;
  integer fd;
  initial begin
    fd = $fopen("@CANARY@", "w");  // LINE-UNDER-TEST
    $fdisplay(fd, "escaped");
    $fclose(fd);
    $finish;
  end
endmodule
