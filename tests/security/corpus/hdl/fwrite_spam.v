// ATTACK: fill the disk through an ALLOWED relative file: 64 MiB of $fwrite to spam.txt.
// EXPECT: RLIMIT_FSIZE (Limits.file_size_mb) stops the writer (SIGXFSZ); the result is
// a failure and spam.txt is never larger than the limit.
module fwrite_spam;
  integer fd, i;
  initial begin
    fd = $fopen("spam.txt", "w");
    for (i = 0; i < 1048576; i = i + 1)
      $fwrite(fd, "%064d\n", i);
    $fclose(fd);
    $display("wrote everything");
    $finish;
  end
endmodule
