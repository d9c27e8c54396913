// ATTACK: about 1 GiB of $display output (16 Mi lines of 64 bytes), to fill the disk
// with logs or the memory of whoever reads them.
// EXPECT: the supervisor kills it once output passes Limits.output_kill_bytes; the logs
// kept on disk stay capped (head + tail); the result is a failure mentioning output.
module display_spam;
  integer i;
  initial begin
    for (i = 0; i < 16777216; i = i + 1)
      $display("SPAM %010d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i);
    $finish;
  end
endmodule
