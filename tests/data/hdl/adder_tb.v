module add(input [3:0] a, b, output [4:0] y); assign y = a + b; endmodule
module tb;
  reg [3:0] a, b; wire [4:0] y; integer i, errs = 0;
  add dut(.a(a), .b(b), .y(y));
  initial begin
    for (i = 0; i < 256; i = i + 1) begin
      {a, b} = i; #1;
      if (y !== a + b) errs = errs + 1;
    end
    $display("Mismatches: %0d in %0d samples", errs, 256);
    $finish;
  end
endmodule
