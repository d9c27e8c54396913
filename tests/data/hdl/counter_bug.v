// 8-bit counter with synchronous reset and enable; wraps at 255.
module counter(input clk, input rst, input en, output reg [7:0] q);
  always @(posedge clk) begin
    if (rst) q <= 8'd0;
    else if (en) q <= q + 8'd2;
  end
endmodule
