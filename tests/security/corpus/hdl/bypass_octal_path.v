// ATTACK (static-gate bypass): the absolute path is spelled with octal escapes
// ("\057" is "/"), so the raw literal does not start with "/" and contains no "..",
// but the simulator decodes it to an absolute path.
// Verified by hand: iverilog 11 creates the absolute file.
// EXPECT (policy): the gate judges the decoded string and refuses it.
module bypass_octal_path;
  integer fd;
  initial begin
    fd = $fopen("@OCTAL_CANARY@", "w");  // LINE-UNDER-TEST
    $fdisplay(fd, "escaped");
    $display("HOSTILE-RAN fd_open=%0d", fd != 0);
    $finish;
  end
endmodule
