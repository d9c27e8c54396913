// ATTACK (static-gate bypass): Icarus' own $fopenw/$fopena/$fopenr open files like
// $fopen but are not in the gate's list of path-taking tasks.
// Verified by hand: iverilog 11 creates the absolute file.
// EXPECT (policy): the absolute path is refused like $fopen's.
module bypass_fopenw;
  integer fd;
  initial begin
    fd = $fopenw("@CANARY@");  // LINE-UNDER-TEST
    $fdisplay(fd, "escaped");
    $display("HOSTILE-RAN fd_open=%0d", fd != 0);
    $finish;
  end
endmodule
